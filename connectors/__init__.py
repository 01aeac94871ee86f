"""Built-in connector plugins, the connector base class, and the demo sandbox."""

from connectors.base import Connector, ConnectorOptions, HarvestItem

__all__ = ["Connector", "ConnectorOptions", "HarvestItem"]
