"""lingong-example-plugin: a job-board connector and an employer check, packaged as a lingong plugin."""

from lingong_example.connector import BoardConnector, BoardOptions

__all__ = ["BoardConnector", "BoardOptions"]
