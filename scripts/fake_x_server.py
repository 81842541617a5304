#!/usr/bin/env python3
"""Runs the local fake X API v2 (tests/fakes/x_api.py) on 127.0.0.1 with invented posts, so the X connector
can be tried end to end without credentials or network:

    .venv/bin/python scripts/fake_x_server.py --port 8765 --seed-mentions 250

then, in another terminal, with `connectors.sample.enabled: false`, `connectors.x.enabled: true` and
`connectors.x.api_base_url: http://127.0.0.1:8765` in the config:

    X_BEARER_TOKEN=anything .venv/bin/python main.py poll --once

Every author and text is invented; about 5% of the mentions carry a place tag (`includes.places`).
`--add-every SECONDS` keeps adding mentions so repeated polls see news.
By default any bearer token is accepted; `--token T` makes the fake insist on T (to try a 401).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.x_api import PLACES, PROFILES, FakeXApi, XApiServer

CITIZEN_TEXTS = [
    "llevo 3 días sin internet en el Centro Digital de la vereda, ¿quién responde?",
    "¿cuándo abren las inscripciones de Talento TI? no encuentro el formulario",
    "gracias por la capacitación en Misión TIC, me cambió la vida 🙌",
    "me llegó un mensaje pidiendo plata a nombre del ministerio, ¿es estafa?",
    "la zona WiFi del parque no funciona desde el lunes",
    "sugiero que los Centros Digitales abran también los sábados",
    "el operador me cobra un plan que no pedí y nadie me resuelve",
    "¿dónde consulto el estado de mi trámite de radio comunitaria?",
]
OWN_TEXTS = [
    "Abrimos convocatoria Talento TI: formación gratuita en programación. Inscripciones en mintic.gov.co",
    "Más de 1.000 Centros Digitales ya están conectados en zonas rurales del país",
    "Recuerda: el MinTIC nunca pide dinero por mensajes. Denuncia los intentos de fraude",
]
SEARCH_TEXTS = [
    "El MinTIC anunció la subasta de espectro 5G para el próximo año",
    "Según el #MinTIC, la conectividad rural creció este semestre",
]


PLACE_SHARE = 0.05  # about 1 post in 20 carries a place tag, as on X (where few authors turn it on)


def seed(fake: FakeXApi, handle: str, mentions: int, rng: random.Random) -> str:
    now = fake.clock()
    places = random.Random(f"places:{handle}")  # its own draws: the texts and authors stay as before
    own_ids = [fake.post(handle, text, at=now - timedelta(hours=20 - 6 * i)) for i, text in enumerate(OWN_TEXTS)]
    for i in range(mentions):
        at = now - timedelta(hours=6) + timedelta(seconds=i * 6 * 3600 / max(mentions, 1))
        text = f"@{handle} {rng.choice(CITIZEN_TEXTS)}"
        place = places.choice(sorted(PLACES)) if places.random() < PLACE_SHARE else None
        if rng.random() < 0.2:
            fake.post(f"ciudadano_{rng.randint(1, 400)}", text, at=at, reply_to=rng.choice(own_ids), place=place)
        else:
            fake.post(f"ciudadano_{rng.randint(1, 400)}", text, at=at, place=place)
    for i, text in enumerate(SEARCH_TEXTS):
        fake.post(f"medio_{i}", text, at=now - timedelta(hours=2, minutes=i))
    # The invented public profiles of the fake (press, an official, a city hall, an operator), so the authors
    # Vigía stores from this server fall in several audience segments.
    for i, username in enumerate(name for name in PROFILES if name != handle.lower()):
        fake.post(username, f"@{handle} {rng.choice(CITIZEN_TEXTS)}", at=now - timedelta(hours=1, minutes=7 * i))
    return own_ids[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--handle", default="Ministerio_TIC", help="the watched account (accounts.x)")
    parser.add_argument("--seed-mentions", type=int, default=250)
    parser.add_argument("--add-every", type=float, default=0.0, help="add a new mention every N seconds")
    parser.add_argument("--token", default=None, help="accept only this bearer token (default: any)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    fake = FakeXApi(naming="spec", token=args.token or "unused", accept_any_token=args.token is None,
                    validate=False, record_bodies=False)
    fake.add_user(args.handle)
    rng = random.Random(args.seed)
    seed(fake, args.handle, args.seed_mentions, rng)
    server = XApiServer(fake, port=args.port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"fake X API v2 on {server.base_url} — @{args.handle}, {len(fake.tweets)} posts "
          f"({args.seed_mentions} mentions). Config: connectors.x.api_base_url: {server.base_url}", flush=True)
    try:
        while not stop.wait(args.add_every or 3600):
            if args.add_every:
                fake.post(f"ciudadano_{rng.randint(1, 400)}", f"@{args.handle} {rng.choice(CITIZEN_TEXTS)}",
                          at=datetime.now(UTC))
    except KeyboardInterrupt:
        pass
    finally:
        served = len(fake.requests)
        server.stop()
        print(f"stopped after {served} requests", flush=True)


if __name__ == "__main__":
    main()
