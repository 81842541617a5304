#!/usr/bin/env python3
"""Run the fake Meta Graph API on 127.0.0.1 with a realistic week of MinTIC page and Instagram activity.

    .venv/bin/python scripts/fake_graph_server.py --port 8766

Then, in another shell, point Vigía at it (the factories are wired by bot/bootstrap.py):

    export META_ACCESS_TOKEN=EAAGvigiaFAKEpageTOKEN000 META_APP_SECRET=fake-app-secret-0001
    .venv/bin/python main.py --config var/fake-graph.yaml poll --once

The script writes that config file (sample off, Facebook and Instagram on, base URL = this server) unless
`--no-config` is given. All data is synthetic and relative to the current time; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI

PAGE, PAGE_ID, USER, IG_ID = "MinTICColombia", "1001", "mintic_colombia", "17841400000000001"
MINISTRY = (PAGE_ID, "MinTIC Colombia")
ANNOUNCEMENTS = [
    "Abrimos 5.000 becas de Talento TI para jóvenes de todo el país. Inscríbete antes del 30 de noviembre.",
    "Nuevos Centros Digitales conectan a 300 escuelas rurales en La Guajira y Cauca. #ColombiaConectada",
    "Atención: el MinTIC nunca pide pagos para acceder a becas o computadores. Denuncia cualquier fraude.",
    "Computadores para Educar entrega 12.000 equipos a sedes educativas del Pacífico.",
    "Conoce cómo hacer tus trámites en línea con Gobierno Digital sin hacer filas.",
]
CITIZENS = [
    "Llevo 3 días sin internet en el Centro Digital de mi vereda, ¿quién responde?",
    "¿Cómo me inscribo a las becas? El enlace no abre.",
    "Gracias MinTIC, por fin tenemos señal en la escuela 🙌",
    "Me llegó un mensaje pidiendo plata a nombre del ministerio para un computador, ¿es estafa?",
    "La Zona Wi-Fi del parque lleva una semana caída.",
    "Sugiero que abran convocatorias también para adultos mayores.",
    "Excelente iniciativa, ojalá llegue a más municipios.",
    "Solicito información sobre el estado de mi trámite de radiodifusión.",
    "El operador no me resuelve la queja desde hace un mes.",
]
# Facebook place tags (`place{name,location{...}}`): the Riohacha announcement and a tagged post from Quibdó.
PLACES = {
    1: {"id": "108000000000101", "name": "Riohacha, La Guajira",
        "location": {"city": "Riohacha", "state": "La Guajira", "country": "Colombia", "latitude": 11.5444,
                     "longitude": -72.9072}},
    9: {"id": "108000000000102", "name": "Parque Centenario",
        "location": {"city": "Quibdó", "state": "Chocó", "country": "Colombia", "latitude": 5.6947,
                     "longitude": -76.6611}},
}
ANSWERS = ["Hola, te escribimos por mensaje privado para revisar tu caso.",
           "Gracias por avisar: escalamos el reporte al operador.",
           "La inscripción está en talentotech.gov.co; si el enlace falla, escríbenos por interno."]


def seed(fake: FakeGraphAPI, now: datetime, rng: random.Random, comments_per_post: int) -> None:
    page_id = fake.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
    fake.add_ig_user(USER, page_id=page_id, ig_id=IG_ID)
    for day, text in enumerate(ANNOUNCEMENTS):
        at = now - timedelta(days=day, hours=rng.randint(1, 8))
        post = fake.add_post(PAGE_ID, at, text, reactions=rng.randint(50, 900), shares=rng.randint(0, 120),
                             place=PLACES.get(day))
        media = fake.add_media(IG_ID, at + timedelta(minutes=5), text if day % 2 == 0 else None,
                               likes=rng.randint(100, 3000))
        for i in range(comments_per_post):
            when = at + timedelta(minutes=7 * (i + 1))
            if when >= now:
                break
            comment = fake.add_comment(post, when, rng.choice(CITIZENS))
            if i % 5 == 0 and when + timedelta(minutes=30) < now:
                fake.add_comment(post, when + timedelta(minutes=30), rng.choice(ANSWERS), author=MINISTRY,
                                 parent=comment)
            ig_comment = fake.add_ig_comment(media, when, rng.choice(CITIZENS), username=f"ciudadano_{i % 23}")
            if i % 6 == 0 and when + timedelta(minutes=45) < now:
                fake.add_ig_comment(media, when + timedelta(minutes=45), rng.choice(ANSWERS), username=USER,
                                    user_id=IG_ID, parent=ig_comment)
    for h in (2, 9, 20):
        fake.add_post(PAGE_ID, now - timedelta(hours=h), f"@MinTIC {rng.choice(CITIZENS)}", kind="tagged",
                      place=PLACES.get(h))
        fake.add_media(None, now - timedelta(hours=h + 1), f"{rng.choice(CITIZENS)} @{USER}",
                       owner_username=f"vecina_{h}", tagged=[IG_ID])


def write_config(path: Path, base_url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by scripts/fake_graph_server.py: Vigía against the local fake Graph API.\n"
        "accounts:\n"
        f"  facebook: [{PAGE}]\n"
        f"  instagram: [{USER}]\n"
        "  x: []\n"
        "connectors:\n"
        "  sample:\n"
        "    enabled: false\n"
        "  facebook:\n"
        "    enabled: true\n"
        f"    api_base_url: {base_url}\n"
        "  instagram:\n"
        "    enabled: true\n"
        f"    api_base_url: {base_url}\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Meta Graph API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--comments-per-post", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-app-secret", action="store_true", help="do not require appsecret_proof")
    parser.add_argument("--config-out", default="var/fake-graph.yaml")
    parser.add_argument("--no-config", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeGraphAPI(app_secret=None if args.no_app_secret else APP_SECRET)
    seed(fake, datetime.now(UTC), random.Random(args.seed), args.comments_per_post)
    fake.start(port=args.port)
    print(f"fake Graph API on {fake.base_url} (page {PAGE} = {PAGE_ID}, Instagram @{USER} = {IG_ID})")
    print(f"export META_ACCESS_TOKEN={TOKEN}" + ("" if args.no_app_secret else f" META_APP_SECRET={APP_SECRET}"))
    if not args.no_config:
        write_config(Path(args.config_out), fake.base_url)
        print(f"config written to {args.config_out}: .venv/bin/python main.py --config {args.config_out} poll --once")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly on SIGTERM as on Ctrl-C
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        print(f"served {len(fake.http_requests())} requests")


if __name__ == "__main__":
    main()
