"""Webhooks arriving twice and out of order (issue 7): providers redeliver whenever they are unsure, and
nothing orders their deliveries. A case that receives every webhook again, twice, shuffled, must end
exactly like one that received each once.

In-process world: the sandbox's delivery log gives each recorded payload, signed again here with the
providers' secrets, and POSTed to the gateway like a provider's redelivery.
"""

from __future__ import annotations

import random

import pytest

from tests.e2e.world import World
from tests.faults.kit import (
    COMPLETE_CONTRACT,
    DEFENDER_SIGNS,
    EVALUATE,
    JIM_SIGNS,
    UPDATE_TASK,
    Replayed,
    Scene,
    WebhookSigner,
    concerning,
    essence,
    replay_twice_shuffled,
)

pytestmark = pytest.mark.integration

SEED = 20260707


async def test_every_webhook_twice_more_in_shuffled_order_changes_nothing(world: World, world_scene: Scene) -> None:
    """Replays at five points while the case runs (after the Advocate Agreement; after the first and the
    second contract signature, while the envelope is still out; after the contract; after the payment),
    each time every delivery so far about the case, so old events also arrive after newer ones, and a
    replay may overtake the original. The end state equals an undisturbed case's: same stage, signatures,
    invoice status and money, and the same timeline (no entry for any duplicate)."""
    scene, sb = world_scene, world_scene.sandbox
    config = world.sandbox.config
    signer = WebhookSigner(docusign_keys=list(config.docusign_connect_hmac_keys),
                           stripe_secret=config.stripe_webhook_secret, sendgrid_key=world.sandbox.runtime.sendgrid_key)
    undisturbed_case = scene.new_case()
    undisturbed = await scene.run(undisturbed_case)

    case = scene.new_case()
    rng = random.Random(SEED)
    answers: list[Replayed] = []

    async def replay_everything_so_far() -> None:
        deliveries = concerning(await sb.deliveries(), case)  # some may still be on their first way
        assert deliveries
        answers.extend(await replay_twice_shuffled(scene.http, signer, deliveries, rng))

    disturbed = await scene.run(case, {point: replay_everything_so_far for point in (
        COMPLETE_CONTRACT, DEFENDER_SIGNS, JIM_SIGNS, UPDATE_TASK, EVALUATE)})

    replayed = {a.event for a in answers}
    assert {"docusign recipient-completed", "docusign envelope-completed", "stripe invoice.paid"} <= replayed
    assert any(event.startswith("sendgrid") for event in replayed)
    assert [a for a in answers if a.code != 200] == [], "every duplicate is acknowledged (200), so providers stop"
    reached = {a.word for a in answers if not a.event.startswith("sendgrid")}
    assert reached == {"signalled"}, "each DocuSign and Stripe duplicate reached its running workflow"
    assert essence(disturbed, case) == essence(undisturbed, undisturbed_case)
    (await sb.books(case)).assert_one_of_each()
