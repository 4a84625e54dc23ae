"""The real services of tests/services.py: Redis answers, and Kannel carries Cyrillic SMS to the fake operator."""
import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request

import fakesmsc
import pytest
import services

PHONE = "+79161234567"


def test_fakesmsc_lines_are_decoded_as_the_operator_received_them():
    lines = [
        ("2026-11-30 07:09:51 [5335] [0] DEBUG: Got message 1: <Priyom +79161234567 ucs-2 "
         "%04%1F%04%40%048%042%045%04B%00%2C%00+%04%3C%048%04%40%00!>\n"),
        "2026-11-30 07:09:51 [5335] [0] DEBUG: Got message 2: <Priyom +79161234567 text hello world&x>\n",
        "… DEBUG: Got message 3: <Priyom +79161234567 udh %05%00%03%07%02%02 data %00%21>\n",
        "… DEBUG: Got message 4: <Priyom +79161234567 udh %05%00%03%07%02%01 data %04%1F%00+>\n",
        "… INFO: fakesmsc starting\n",
    ]
    parsed = [fakesmsc.parse_line(line) for line in lines]
    assert parsed[-1] is None
    assert fakesmsc.join_messages(filter(None, parsed)) == [
        fakesmsc.Sms("Priyom", PHONE, "Привет, мир!"),
        fakesmsc.Sms("Priyom", PHONE, "hello world&x"),
        fakesmsc.Sms("Priyom", PHONE, "П !", parts=2),
    ]


def test_redis_answers_and_can_be_stopped_and_started_again(redis_server):
    assert redis_server.startswith("redis://127.0.0.1:") and redis_server.url == str(redis_server)
    assert redis_server.command("PING") == "+PONG"
    assert redis_server.command("SET", "ключ", "значение") == "+OK"
    redis_server.stop()
    with pytest.raises(OSError):
        redis_server.command("PING")
    redis_server.start()
    assert redis_server.command("EXISTS", "ключ") == ":0", "nothing is kept across a restart"
    redis_server.command("SET", "a", "1")
    redis_server.flush()
    assert redis_server.command("DBSIZE") == ":0"


@pytest.mark.slow
def test_a_cyrillic_sms_reaches_the_operator_intact(kannel):
    kannel.clear()
    status, body = kannel.send(PHONE, "Вы записаны на приём 2 декабря в 10:20. Код K7Q-4M2")
    assert (status, body) == (202, "0: Accepted for delivery")
    assert kannel.wait_for_messages(1) == [
        fakesmsc.Sms("Priyom", PHONE, "Вы записаны на приём 2 декабря в 10:20. Код K7Q-4M2")]


@pytest.mark.slow
def test_a_long_text_arrives_in_parts_and_is_joined(kannel):
    kannel.clear()
    text = ("Запись K7Q-4M2 перенесена на четверг, 3 декабря, 11:40, Северный филиал, ул. Тестовая, д. 1. "
            "Отменить или перенести: https://priyom.example.ru/bookings/K7Q-4M2/link")
    assert kannel.send(PHONE, text)[0] == 202
    [sms] = kannel.wait_for_messages(1)
    assert (sms.text, sms.parts) == (text, 3)
    kannel.clear()
    assert kannel.send(PHONE, "Plain 7-bit text + symbols & more " * 6, coding=0)[0] == 202
    assert kannel.wait_for_messages(1)[0].text == "Plain 7-bit text + symbols & more " * 6


@pytest.mark.slow
def test_delivery_reports_call_the_dlr_url(kannel):
    calls = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dlr_url = f"http://127.0.0.1:{server.server_port}/sms/dlr?id=42&type=%d&to=%p"
        assert kannel.send(PHONE, "Отчёт о доставке", **{"dlr-mask": 9, "dlr-url": dlr_url})[0] == 202
        services.wait_for(lambda: len(calls) >= 2, 10, "smsbox did not call the dlr-url twice")
    finally:
        server.shutdown()
        server.server_close()
    # 8: accepted by the operator's SMS centre; 1: delivered to the phone (their order is not fixed).
    assert sorted((c["id"], c["type"], c["to"]) for c in calls) == [(["42"], ["1"], [PHONE]), (["42"], ["8"], [PHONE])]


@pytest.mark.slow
def test_the_gateway_can_be_taken_down_and_the_operator_can_be_away(kannel):
    kannel.stop()
    with pytest.raises(urllib.error.URLError):
        kannel.send(PHONE, "не дойдёт")
    kannel.start()
    kannel.clear()
    kannel.stop_operator()
    assert kannel.send(PHONE, "подождёт в очереди")[0] == 202
    assert kannel.messages() == []
    kannel.start_operator()
    assert [m.text for m in kannel.wait_for_messages(1)] == ["подождёт в очереди"]
