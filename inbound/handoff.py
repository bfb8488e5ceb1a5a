"""Queueing accepted requests off the request path: one thread per process hands ids to the broker.

When an accepted request is answered, its row is committed (state ``received``, ``enqueued_at``
set); passing its id to django-q2 is the only work left, and the sender need not wait for it.
A process that stops with ids still in hand loses nothing: the inbound sweep queues ``received``
rows whose task never ran again (``inbound.processing``). Used only with a broker outside the
database (Redis); with the ORM broker the enqueue is a database write, kept on the request
thread so the web role's connection count stays workers x threads.
"""

from __future__ import annotations

from hub.lib.handoff import Handoff
from inbound.queue import enqueue_now

THREAD_NAME = "inbound-handoff"
# Up to 20 requests per task: a task of cheap handlers costs the worker little more than one,
# and a slow handler (an Odoo upsert) holds up at most 19 others. A django-q2 enqueue costs
# about as much CPU for 20 ids as for one (pickle, sign, Redis push: ~0.5 ms), so the thread
# waits LINGER after the first id for more: under a steady stream that is a tenth of the cost
# per request, and a request's handler starts at most LINGER later.
LINGER = 0.05
handoff = Handoff(enqueue_now, name=THREAD_NAME, batch=20, linger=LINGER)
