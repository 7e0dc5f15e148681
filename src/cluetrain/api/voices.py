"""GET /api/voices: the voices the caller may post through."""

from django.http import HttpRequest
from ninja import Router

from cluetrain.api.auth import caller
from cluetrain.api.errors import ErrorOut
from cluetrain.api.schemas import VoiceOut
from cluetrain.organizations import policy
from cluetrain.publishing import limits
from cluetrain.voices.models import Voice

router = Router(tags=["voices"])


def voice_out(voice: Voice) -> VoiceOut:
    return VoiceOut(
        id=voice.pk,
        name=voice.name,
        handle=voice.handle,
        network=voice.network,
        kind=voice.kind,
        status=voice.status,
        department=voice.department.name if voice.department else None,
        limit=limits.limit_of(voice),
    )


@router.get("/voices", response={200: list[VoiceOut], 401: ErrorOut})
def list_voices(request: HttpRequest) -> list[VoiceOut]:
    """Voices the caller may post through, personal first."""
    who = caller(request)
    voices = policy.postable_voices(who.person, who.organization).select_related("department")
    return [voice_out(voice) for voice in voices]
