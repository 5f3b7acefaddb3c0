#!/usr/bin/env python3
"""serve-model over real HTTP: every endpoint against the command-line apps' answers,
continuous batching, limits, authentication, bad input and shutdown.

    serve_model_test.py BIN_DIR
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

BIN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/apps"


class Served:
    """A serve-model process on a free port, stopped by SIGTERM."""

    def __init__(self, *flags, env=None):
        self.process = subprocess.Popen([os.path.join(BIN, "serve-model"), "--port", "0", "--threads", "1", *flags],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, **(env or {})})
        line = self.process.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+) \((.*)\)", line)
        if not match:
            self.process.kill()
            raise AssertionError("no ready line: " + line + self.process.stderr.read())
        self.port = int(match.group(1))
        self.line = line

    def request(self, method, path, body=None, headers=None, raw=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        connection.request(method, path, payload, headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def json(self, method, path, body=None, headers=None, raw=None):
        response, data = self.request(method, path, body, headers, raw)
        return response.status, json.loads(data)

    def metric(self, name, model="shakespeare"):
        _, text = self.request("GET", "/metrics")
        match = re.search(name + r'\{model="' + model + r'"\} (\S+)', text.decode())
        return float(match.group(1))

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()
        return code


def stream_events(served, body, on_connection=None):
    """The SSE events of a streaming completion, as parsed JSON (or the string [DONE])."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    connection.request("POST", "/v1/completions", json.dumps({**body, "stream": True}))
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert response.getheader("Content-Type") == "text/event-stream"
    if on_connection:
        on_connection(connection, response)
        return None
    events = []
    for block in response.read().decode().split("\n\n"):
        if block:
            assert block.startswith("data: "), block
            payload = block[len("data: "):]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    connection.close()
    return events


def generate_text(*flags):
    return subprocess.run([os.path.join(BIN, "generate-text"), "--threads", "1", "--hide-prime", *flags],
                          check=True, capture_output=True, text=True).stdout


class Endpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.served = Served()

    def test_the_server_runs_with_openmp_threads_that_sleep_between_steps(self):
        with open("/proc/%d/environ" % self.served.process.pid, "rb") as environ:
            self.assertIn(b"OMP_WAIT_POLICY=passive", environ.read().split(b"\0"))

    @classmethod
    def tearDownClass(cls):
        assert cls.served.stop() == 0

    def test_health_models_metrics_and_page(self):
        self.assertEqual(self.served.json("GET", "/health"), (200, {"status": "ok"}))
        status, models = self.served.json("GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual([(m["id"], m["kind"], m["object"]) for m in models["data"]],
                         [("shakespeare", "language-model", "model"), ("sst2", "sentiment-classifier", "model")])
        response, page = self.served.request("GET", "/")
        self.assertEqual(response.getheader("Content-Type"), "text/html; charset=utf-8")
        self.assertIn(b"/v1/completions", page)
        self.assertNotIn(b"http://", page.replace(b"http://www.w3.org", b""))  # nothing fetched from elsewhere
        _, metrics = self.served.request("GET", "/metrics")
        for name in ("charloom_requests_total", "charloom_units_generated_total", "charloom_active_streams",
                     "charloom_batch_occupancy_average"):
            self.assertIn(name.encode(), metrics)

    def test_a_seeded_completion_is_generate_texts_sample(self):
        body = {"prompt": "ROMEO:", "max_tokens": 120, "seed": 5, "temperature": 0.8, "top_k": 20, "top_p": 0.95,
                "n": 2}
        status, answer = self.served.json("POST", "/v1/completions", body)
        self.assertEqual(status, 200)
        self.assertEqual(answer["object"], "text_completion")
        self.assertEqual(answer["model"], "shakespeare")
        expected = [json.loads(line)["text"] for line in generate_text(
            "--prime", "ROMEO:", "--length", "120", "--seed", "5", "--temperature", "0.8", "--top-k", "20",
            "--top-p", "0.95", "--samples", "2", "--format", "jsonl").splitlines()]
        self.assertEqual([c["text"] for c in answer["choices"]], expected)
        self.assertEqual([c["index"] for c in answer["choices"]], [0, 1])
        self.assertEqual({c["finish_reason"] for c in answer["choices"]}, {"length"})
        self.assertEqual(answer["usage"], {"prompt_tokens": 6, "completion_tokens": 240, "total_tokens": 246})

    def test_streaming_gives_the_same_text_in_chunks_then_done(self):
        body = {"prompt": "JULIET:", "max_tokens": 200, "seed": 9}
        _, whole = self.served.json("POST", "/v1/completions", body)
        events = stream_events(self.served, body)
        self.assertEqual(events[-1], "[DONE]")
        chunks = events[:-1]
        self.assertEqual("".join(c["choices"][0]["text"] for c in chunks), whole["choices"][0]["text"])
        self.assertTrue(all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1]))
        self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "length")
        self.assertEqual(chunks[-1]["usage"]["completion_tokens"], 200)
        self.assertTrue(all(c["id"] == chunks[0]["id"] and c["object"] == "text_completion" for c in chunks))

    def test_a_stop_string_ends_the_text_before_it(self):
        body = {"prompt": "KING:", "max_tokens": 500, "seed": 3, "stop": ["\n\n", "the"]}
        _, answer = self.served.json("POST", "/v1/completions", body)
        choice = answer["choices"][0]
        self.assertEqual(choice["finish_reason"], "stop")
        expected = json.loads(generate_text("--prime", "KING:", "--length", "500", "--seed", "3", "--stop", "\n\n",
                                            "--stop", "the", "--format", "jsonl"))["text"]
        self.assertEqual(choice["text"], expected)
        self.assertNotIn("the", choice["text"])

    def test_logprobs_spell_the_text_with_their_alternatives(self):
        body = {"prompt": "To be", "max_tokens": 40, "seed": 2, "logprobs": 3}
        _, answer = self.served.json("POST", "/v1/completions", body)
        choice = answer["choices"][0]
        logprobs = choice["logprobs"]
        self.assertEqual("".join(logprobs["tokens"]), choice["text"])
        self.assertEqual(len(logprobs["token_logprobs"]), 40)
        self.assertTrue(all(lp <= 0 for lp in logprobs["token_logprobs"]))
        self.assertTrue(all(len(top) == 3 for top in logprobs["top_logprobs"]))
        self.assertEqual(logprobs["text_offset"][:3], [0, 1, 2])
        # The units' log-probabilities sum to what /v1/score says of the same text.
        _, prompt = self.served.json("POST", "/v1/score", {"input": "To be"})
        _, whole = self.served.json("POST", "/v1/score", {"input": "To be" + choice["text"]})
        self.assertAlmostEqual(-sum(logprobs["token_logprobs"]),
                               whole["results"][0]["nats"] - prompt["results"][0]["nats"], places=3)

    def test_score_is_evaluate_models_per_line_figure(self):
        status, answer = self.served.json("POST", "/v1/score", {"input": ["To be or not to be", "Hark!"]})
        self.assertEqual(status, 200)
        text = "To be or not to be\nHark!\n"
        result = subprocess.run([os.path.join(BIN, "evaluate-model"), "--per-line", "-", "--threads", "1"],
                                input=text, check=True, capture_output=True, text=True).stdout.splitlines()
        for got, line in zip(answer["results"], result):
            want = json.loads(line)
            self.assertAlmostEqual(got["nats"], want["nats"], places=9)
            self.assertAlmostEqual(got["nats_per_char"], want["nats_per_char"], places=9)
            self.assertAlmostEqual(got["bits_per_char"], want["bits_per_char"], places=9)
            self.assertEqual(got["units_scored"], want["units_scored"])
        import math
        self.assertAlmostEqual(answer["results"][0]["perplexity"], math.exp(answer["results"][0]["nats_per_char"]))

    def test_sentiment_is_score_sentiments_and_its_trace_ends_at_the_score(self):
        texts = ["a gorgeous, witty, seductive movie", "a slow , dull film"]
        status, answer = self.served.json("POST", "/v1/sentiment", {"input": texts, "trace": True})
        self.assertEqual(status, 200)
        lines = subprocess.run([os.path.join(BIN, "score-sentiment"), "--threads", "1"], input="\n".join(texts) + "\n",
                               check=True, capture_output=True, text=True).stdout.splitlines()
        for got, line, text in zip(answer["results"], lines, texts):
            want = json.loads(line)
            self.assertAlmostEqual(got["score"], want["score"], places=6)
            self.assertEqual(got["label"], want["label"])
            self.assertEqual("".join(got["units"]), text)
            self.assertEqual(len(got["scores"]), len(got["units"]))
            self.assertAlmostEqual(got["scores"][-1], got["score"], places=6)
        _, plain = self.served.json("POST", "/v1/sentiment", {"input": texts[0]})
        self.assertNotIn("scores", plain["results"][0])

    def test_bad_input_gets_the_error_json_with_its_status(self):
        cases = [
            (400, "not valid JSON at byte", None, b'{"prompt": 5'),
            (400, "must be a JSON object", None, b'[1, 2]'),
            (400, "max_tokens must be a whole number", {"max_tokens": "5"}, None),
            (400, "top_p must be from 0.0 to 1.0, got 2", {"top_p": 2}, None),
            (400, "temperature must be from", {"temperature": -1}, None),
            (400, "n must be from 1 to 64", {"n": 65}, None),
            (400, "max_tokens must be from 1 to 4096", {"max_tokens": 5000}, None),
            (400, "prompt must be a string or an array of strings", {"prompt": [1, 2]}, None),
            (400, "stop must be a string or an array of strings", {"stop": 3}, None),
            (400, "echo is not supported", {"echo": True}, None),
            (400, "not valid JSON at byte", None, b'{"prompt": "caf\xff"}'),
            (400, "2 unit(s) the model never saw: '\u65e5', '\u672c'; send \"unknown\": \"skip\"",
             {"prompt": "\u65e5\u672c"}, None),
            (404, "model 'nope' is not a language model served here", {"model": "nope"}, None),
            (404, "model 'sst2' is not a language model", {"model": "sst2"}, None),
            (413, "over 1048576 bytes", None, b'{"prompt": "' + b"a" * (1 << 20) + b'"}'),
        ]
        for status, message, body, raw in cases:
            with self.subTest(message=message):
                got, answer = self.served.json("POST", "/v1/completions", body, raw=raw)
                self.assertEqual(got, status, answer)
                self.assertIn(message, answer["error"]["message"])
                self.assertEqual(answer["error"]["code"], status)
        _, skipped = self.served.json("POST", "/v1/completions", {"prompt": "\u65e5 ROMEO", "unknown": "skip",
                                                                 "max_tokens": 5})
        self.assertEqual(skipped["usage"]["prompt_tokens"], 6)
        self.assertEqual(self.served.json("GET", "/nope")[0], 404)
        status, answer = self.served.json("GET", "/v1/completions")
        self.assertEqual((status, answer["error"]["type"]), (405, "invalid_request_error"))
        status, answer = self.served.json("POST", "/v1/sentiment", {"input": []})
        self.assertEqual(status, 400)
        status, answer = self.served.json("POST", "/v1/score", {"input": "x", "model": "sst2"})
        self.assertEqual((status, answer["error"]["type"]), (404, "not_found_error"))


class Batching(unittest.TestCase):
    def test_a_seeded_stream_gives_the_same_text_alone_and_among_others(self):
        served = Served()
        try:
            body = {"prompt": "HAMLET:", "max_tokens": 300, "seed": 11}
            _, alone = served.json("POST", "/v1/completions", body)
            results = {}

            def run(seed):
                results[seed] = served.json("POST", "/v1/completions", {**body, "seed": seed})[1]

            threads = [threading.Thread(target=run, args=(seed,)) for seed in [11, 1, 2, 3, 4, 5, 6, 7, 8, 9]]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual(results[11]["choices"][0]["text"], alone["choices"][0]["text"])
            self.assertGreater(served.metric("charloom_batch_occupancy_average"), 1.5)  # they did share steps
        finally:
            self.assertEqual(served.stop(), 0)

    def test_units_ready_within_the_interval_share_a_chunk(self):
        served = Served("--stream-interval", "400")
        try:
            body = {"prompt": "HAMLET:", "max_tokens": 300, "seed": 4}
            _, whole = served.json("POST", "/v1/completions", body)
            started = time.monotonic()
            chunks = stream_events(served, body)[:-1]
            elapsed = time.monotonic() - started
            self.assertEqual("".join(c["choices"][0]["text"] for c in chunks), whole["choices"][0]["text"])
            # The first unit goes at once; after it, at most one chunk per 0.4 s.
            self.assertLessEqual(len(chunks), 2 + int(elapsed / 0.4))
            self.assertLess(len(chunks), 300)
        finally:
            self.assertEqual(served.stop(), 0)

    def test_a_client_that_goes_away_frees_its_stream(self):
        served = Served()
        try:
            def close_after_a_chunk(connection, response):
                response.fp.readline()
                connection.sock.shutdown(socket.SHUT_RDWR)
                connection.close()

            stream_events(served, {"max_tokens": 4096}, on_connection=close_after_a_chunk)
            deadline = time.time() + 5
            while served.metric("charloom_active_streams") > 0 and time.time() < deadline:
                time.sleep(0.02)
            self.assertEqual(served.metric("charloom_active_streams"), 0)
            self.assertLess(served.metric("charloom_units_generated_total"), 4096)
        finally:
            self.assertEqual(served.stop(), 0)

    def test_past_the_streams_requests_queue_and_past_the_queue_get_503(self):
        served = Served("--max-streams", "1", "--max-queue", "1")
        try:
            held = []

            def hold(connection, response):
                response.fp.readline()
                held.append(connection)

            stream_events(served, {"max_tokens": 4096}, on_connection=hold)  # takes the one stream
            waiting = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
            waiting.request("POST", "/v1/completions", json.dumps({"max_tokens": 3}))  # waits in the queue
            deadline = time.time() + 5
            while served.metric("charloom_queued_requests") < 1 and time.time() < deadline:
                time.sleep(0.02)
            status, answer = served.json("POST", "/v1/completions", {"max_tokens": 3})
            self.assertEqual(status, 503)
            self.assertEqual(answer["error"]["type"], "unavailable_error")
            held[0].close()  # the queued request then gets the stream and finishes
            self.assertEqual(waiting.getresponse().status, 200)
        finally:
            self.assertEqual(served.stop(), 0)


class Lifecycle(unittest.TestCase):
    def test_sigterm_cancels_streams_and_exits_0_within_5_seconds(self):
        served = Served()
        events = []

        def read(connection, response):
            for line in response.fp:
                if line.startswith(b"data: "):
                    payload = line[6:].strip()
                    events.append(payload.decode() if payload == b"[DONE]" else json.loads(payload))

        reader = threading.Thread(target=stream_events, args=(served, {"max_tokens": 4096}, read))
        reader.start()
        deadline = time.time() + 5
        while not events and time.time() < deadline:
            time.sleep(0.01)
        started = time.time()
        self.assertEqual(served.stop(), 0)
        self.assertLess(time.time() - started, 5)
        reader.join(10)
        self.assertEqual(events[-1], "[DONE]")
        self.assertEqual(events[-2]["choices"][0]["finish_reason"], "cancelled")

    def test_a_busy_port_is_an_error_that_names_it(self):
        served = Served()
        try:
            result = subprocess.run([os.path.join(BIN, "serve-model"), "--port", str(served.port)],
                                    capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("127.0.0.1:%d" % served.port, result.stderr)
            self.assertIn("--port", result.stderr)
        finally:
            self.assertEqual(served.stop(), 0)

    def test_an_api_key_guards_every_endpoint_but_health(self):
        for served in (Served("--api-key", "s3cret"), Served(env={"CHARLOOM_API_KEY": "s3cret"})):
            try:
                self.assertEqual(served.json("GET", "/health")[0], 200)
                for method, path, body in (("GET", "/v1/models", None), ("GET", "/metrics", None), ("GET", "/", None),
                                           ("POST", "/v1/completions", {"max_tokens": 2})):
                    with self.subTest(path=path):
                        response, data = served.request(method, path, body)
                        self.assertEqual(response.status, 401)
                        self.assertEqual(json.loads(data)["error"]["type"], "authentication_error")
                        wrong = served.request(method, path, body, {"Authorization": "Bearer nope"})[0]
                        self.assertEqual(wrong.status, 401)
                        right = served.request(method, path, body, {"Authorization": "Bearer s3cret"})[0]
                        self.assertEqual(right.status, 200)
            finally:
                self.assertEqual(served.stop(), 0)

    def test_usage_errors_exit_2(self):
        for flags, message in ((["--max-streams", "0"], "--max-streams"), (["--model", "nope"], "nope"),
                               (["--port", "70000"], "--port"), (["--stream-interval", "5000"], "--stream-interval")):
            result = subprocess.run([os.path.join(BIN, "serve-model"), *flags], capture_output=True, text=True,
                                    timeout=30)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn(message, result.stderr)
        self.assertEqual(subprocess.run([os.path.join(BIN, "serve-model"), "--max-streams", "0"],
                                        capture_output=True).returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
