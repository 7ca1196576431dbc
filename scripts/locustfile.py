"""Simulated practitioners for `make load`: knowledge questions, walkthroughs by button, and
nonsense. Every turn that must leave a gap record (an "I don't know" answer, a thumbs-down)
is counted, so the load script can check the gap log holds exactly that many."""

from __future__ import annotations

import random

from locust import HttpUser, between, events, task

QUESTIONS = [
    "what is cuckooing",
    "signs of county lines",
    "what does was not brought mean",
    "how do i make an nrm referral",
    "what is professional curiosity",
    "disguised compliance examples",
    "who is the LADO and when do I call them",
    "what are the 6 principles of adult safeguarding",
    "can I share information without consent",
    "what is a section 42 enquiry",
]
NONSENSE = [
    "asdkjh qwpoeiru zzxmn",
    "what is the parking policy for the civic centre car park",
    "how do I book annual leave in the HR system",
    "fjfjfjfj",
    "recipe for banana bread",
]
REFERRAL = ["No, not right now", "Child", "within those hours", "sought agreement", "Abuse"]
DONT_KNOW = "I don't have guidance on that"
EXPECTED_GAPS = {"dont_know": 0, "thumbs_down": 0}


@events.init_command_line_parser.add_listener
def _args(parser) -> None:
    parser.add_argument("--gap-count-file", default="", help="where to write the gap tally")


@events.quitting.add_listener
def _write_tally(environment, **_kw) -> None:
    path = environment.parsed_options.gap_count_file
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f"{EXPECTED_GAPS['dont_know']} {EXPECTED_GAPS['thumbs_down']}\n")


class Practitioner(HttpUser):
    wait_time = between(0.5, 2.0)

    def turn(self, message: str, sid: str | None, name: str) -> dict | None:
        with self.client.post(
            "/api/chat",
            json={"message": message, "session_id": sid},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            body = response.json()
            if not body.get("messages"):
                response.failure("empty reply")
                return None
            if any(DONT_KNOW in m["text"] for m in body["messages"]):
                EXPECTED_GAPS["dont_know"] += 1
            return body

    @task(5)
    def knowledge(self) -> None:
        reply = self.turn(random.choice(QUESTIONS), None, "knowledge")
        if reply and random.random() < 0.2:
            with self.client.post(
                "/api/feedback",
                json={
                    "rating": "down",
                    "session_id": reply["session_id"],
                    "question": "load test question",
                    "answer": reply["messages"][0]["text"][:200],
                },
                name="thumbs down",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    EXPECTED_GAPS["thumbs_down"] += 1
                else:
                    response.failure(f"HTTP {response.status_code}")

    @task(3)
    def referral(self) -> None:
        reply = self.turn("I need to make a referral", None, "walkthrough start")
        for title in REFERRAL:
            if not reply:
                return
            payload = next(
                (
                    b["payload"]
                    for m in reply["messages"]
                    for b in m["buttons"]
                    if title.lower() in b["title"].lower()
                ),
                None,
            )
            if payload is None:
                return
            reply = self.turn(payload, reply["session_id"], "walkthrough step")

    @task(2)
    def nonsense(self) -> None:
        self.turn(random.choice(NONSENSE), None, "nonsense")
