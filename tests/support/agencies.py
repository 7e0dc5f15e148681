"""Making a known history for the agency tests: people with roles, published posts and inbox
replies at chosen instants, written straight to the tables (the publishing pipeline has its own
tests; here only what was published, when, by whom and through what matters)."""

from __future__ import annotations

import itertools
from datetime import datetime

from cluetrain.inbox.models import Conversation
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.support import inbox

_serial = itertools.count(1)


def person(
    organization: Organization,
    name: str,
    roles: tuple[Role, ...] = (Role.MEMBER,),
    departments: tuple[Department, ...] = (),
) -> Person:
    email = f"{name.lower().replace(' ', '.')}.{next(_serial)}@agency-tests.example"
    made = Person.objects.create_user(email, "pw-for-tests-only", full_name=name)
    do_add_member(organization, made, roles, departments=departments)
    return made


def personal_voice(organization: Organization, owner: Person) -> Voice:
    return Voice.objects.create(
        organization=organization,
        network=Network.PRACTICE,
        handle=f"@p{next(_serial)}",
        kind=VoiceKind.PERSONAL,
        name=owner.full_name,
        owner=owner,
    )


def official_voice(organization: Organization, department: Department | None) -> Voice:
    return Voice.objects.create(
        organization=organization,
        network=Network.PRACTICE,
        handle=f"@o{next(_serial)}",
        kind=VoiceKind.OFFICIAL,
        name=f"{organization.name} {department.name if department else ''} {next(_serial)}",
        department=department,
    )


def published(
    organization: Organization,
    author: Person,
    at: datetime | None,
    *voices: Voice,
    text: str = "",
    status: str = PostStatus.PUBLISHED,
) -> Post:
    """A post by ``author`` that went out at ``at`` through ``voices`` (their own by default)."""
    post = Post.objects.create(
        organization=organization,
        author=author,
        text=text or f"post number {next(_serial)}",
        status=status,
        published_at=at,
        category=Category.OPERATIONAL,
    )
    for voice in voices or (personal_voice(organization, author),):
        Delivery.objects.create(
            post=post,
            voice=voice,
            organization=organization,
            network=voice.network,
            status=status,
            published_at=at,
        )
    return post


def reply(
    organization: Organization,
    author: Person,
    at: datetime,
    conversation: Conversation,
    voice: Voice,
) -> Post:
    """An inbox reply: a published customer-care post, and our message in the conversation."""
    post = published(organization, author, at, voice)
    Post.objects.filter(pk=post.pk).update(category=Category.CUSTOMER_CARE)
    Message.objects.create(
        organization=organization,
        network=conversation.network,
        external_id=f"post:{post.pk}",
        author=inbox.author(organization),
        text=post.text,
        created_at=at,
        received_at=at,
        direction=Direction.OUTBOUND,
        conversation=conversation,
        post=post,
        sent_by=author,
    )
    return post


def conversation(organization: Organization, department: Department | None) -> Conversation:
    return inbox.conversation(organization, department=department)
