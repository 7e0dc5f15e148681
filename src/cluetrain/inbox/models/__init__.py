"""The inbox: conversations, their notes and history, service levels, routing and saved views.

Split by subject; each module holds the models of one part of the inbox.
"""

from cluetrain.inbox.models.conversations import (
    Conversation,
    ConversationEvent,
    Note,
    Status,
    Tag,
)
from cluetrain.inbox.models.routing import Availability, Expertise, Question
from cluetrain.inbox.models.service_levels import ServiceLevel
from cluetrain.inbox.models.views import SavedReply, SavedView

__all__ = [
    "Availability",
    "Conversation",
    "ConversationEvent",
    "Expertise",
    "Note",
    "Question",
    "SavedReply",
    "SavedView",
    "ServiceLevel",
    "Status",
    "Tag",
]
