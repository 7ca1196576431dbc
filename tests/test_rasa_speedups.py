"""The patched action-reply validation in the Rasa server (nlu_components/rasa_speedups.py)
accepts and rejects exactly what Rasa's own does. Runs in .venv-rasa, where Rasa lives."""

from __future__ import annotations

import textwrap

from tests.services import run_in_rasa_venv

CHECK = textwrap.dedent(
    """
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    original = RemoteAction._validate_action_result
    import nlu_components
    from nlu_components import rasa_speedups
    assert rasa_speedups.APPLIED
    assert RemoteAction._validate_action_result is not original
    action = RemoteAction("action_x", None)
    samples = [
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]},
        {"events": [{"event": "not_an_event"}], "responses": []},
        {"events": "nope"},
        {"responses": [1, 2]},
        {"events": [{"event": "bot", "text": None}]},
    ]
    for sample in samples:
        outcomes = []
        for fn in (original, RemoteAction._validate_action_result):
            try:
                outcomes.append(("ok", fn(action, sample)))
            except ValidationError as e:
                outcomes.append(("invalid", e.message))
        assert outcomes[0] == outcomes[1], (sample, outcomes)
    print("same", len(samples))
    """
)


def test_patched_validation_matches_rasas_own():
    assert "same 6" in run_in_rasa_venv(CHECK)


POOLING = textwrap.dedent(
    """
    import asyncio
    from aiohttp import web
    import nlu_components  # applies the patches
    from rasa.utils.endpoints import EndpointConfig

    async def main():
        peers = []

        async def webhook(request):
            peers.append(request.transport.get_extra_info("peername")[1])
            body = await request.json()
            return web.json_response({"echo": body["n"], "body": body})

        async def serve():
            app = web.Application()
            app.router.add_post("/webhook", webhook)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner, site._server.sockets[0].getsockname()[1]

        runner, port = await serve()
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        replies = [(await endpoint.request(json={"n": n}))["echo"] for n in range(5)]
        assert replies == list(range(5)), replies
        assert len(set(peers)) == 1, peers  # one warm connection, not five
        # The body is written with ujson: the action server reads the same values.
        text = "a/b </script> café 😀" + chr(0x2028) + chr(92) + chr(34) + chr(0)
        odd = {"n": 8, "text": text, "f": [0.1, 1e-7, 2.5e300],
               "nested": [{"x": None, "y": True, "z": -3}], "empty": {}}
        assert (await endpoint.request(json=odd))["body"] == odd
        await runner.cleanup()  # the action server goes away and comes back
        runner, port2 = await serve()
        endpoint.url = f"http://127.0.0.1:{port2}/webhook"
        assert (await endpoint.request(json={"n": 7}))["echo"] == 7
        await runner.cleanup()
        print("pooled", len(set(peers)))

    asyncio.run(main())
    """
)


def test_calls_to_the_action_server_reuse_one_connection():
    assert "pooled 2" in run_in_rasa_venv(POOLING)


EVENTS = textwrap.dedent(
    """
    from rasa.shared.core.events import Event, UserUttered, SlotSet
    from rasa.shared.utils.common import all_subclasses
    original = Event.resolve_by_type
    import nlu_components  # applies the patches
    patched = Event.resolve_by_type
    assert patched is not original

    def outcome(fn, *args):
        try:
            return ("ok", fn(*args))
        except ValueError as e:
            return ("error", str(e))

    names = sorted({c.type_name for c in all_subclasses(Event)})
    cases = [(n,) for n in names] + [("topic",), ("no_such_event",), ("no_such_event", SlotSet)]
    for _ in range(2):  # the second round is answered from the cache
        for args in cases:
            assert outcome(patched, *args) == outcome(original, *args), args
    event = Event.from_parameters({"event": "user", "text": "hi", "parse_data": {}})
    assert isinstance(event, UserUttered) and event.text == "hi"
    print("events", len(cases))
    """
)


def test_event_lookup_gives_rasas_own_answers():
    out = run_in_rasa_venv(EVENTS)
    assert int(out.split()[-1]) > 20  # every Rasa event type, and the odd cases
