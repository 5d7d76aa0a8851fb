from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.followups.dispatch import (
    dispatch_check_ins,
    follow_sent_messages,
    remind_and_escalate,
)
from returnees.followups.reading import read_replies

JOBS = [
    PeriodicJob("follow-sent-messages", follow_sent_messages, seconds=15),
    PeriodicJob("read-replies", read_replies, seconds=15, urgent=True),
    PeriodicJob("remind-and-escalate", remind_and_escalate, seconds=5 * 60),
    PeriodicJob("dispatch-check-ins", dispatch_check_ins, seconds=15),
]
