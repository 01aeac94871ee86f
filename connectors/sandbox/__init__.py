"""The sandbox province: a deterministic, seedable simulation of one province's gig-work sources.

Real HTTP servers on 127.0.0.1, one per site: three county 零工市场 (HTML in GBK, in
Big5 繁體, and one with a robots.txt that forbids a linked path), a provincial portal JSON
API (expiring tokens, page/size, ``updatedSince``, 429 + Retry-After), three partner-agency
feeds on one host (GB18030 CSV, XLSX, XML), and a job site with schema.org ``JobPosting``
JSON-LD; the portal also shares the province's 求职登记 (seeker registrations, synthetic
people: ``seekers.py``). Postings come from real public postings (``seed_corpus.json``); the same
``seed``, ``size`` and ``day`` always serve the same bytes. ``lingong sandbox serve`` runs
it in the foreground; ``lingong demo`` and the tests start it in the background.

    with Sandbox(size=400) as sb:
        os.environ.update(sb.env())        # LINGONG_SANDBOX_URL, LINGONG_SANDBOX_BAIYUN_URL, …
        ...
        sb.advance_day()                   # postings appear, change and close
        sb.truth()["clusters"]             # the true cross-posts
        sb.site("nanhai").hits("/zpxx/vip/")
"""

from connectors.sandbox.province import BASE_DATE, SOURCES, Province, Record
from connectors.sandbox.seekers import Registration, SeekerRegistry
from connectors.sandbox.server import PORTAL_SECRET_ENV, SAMPLES_DATA, Sandbox

__all__ = ["BASE_DATE", "PORTAL_SECRET_ENV", "SAMPLES_DATA", "SOURCES", "Province", "Record", "Registration",
           "Sandbox", "SeekerRegistry"]
