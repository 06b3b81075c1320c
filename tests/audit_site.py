"""A generated government website for the audit tests and benchmark: pages and attachments.

Most documents are ordinary publishable 政务公开 content; some carry a planted 密级标志, an
internal marking or a list with resident ID numbers (fake, but with a valid GB 11643
check digit).  :func:`build_site` writes it to a folder and returns what was planted where.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from builders import docx_bytes, pdf_lines

SECTIONS = ("xxgk", "tzgg", "zcwj", "gzdt")

_PARAGRAPHS = (
    "为深入贯彻落实党中央、国务院决策部署,进一步做好政务公开工作,现将有关事项通知如下。",
    "各单位要高度重视,加强组织领导,明确责任分工,确保各项任务按期完成。",
    "本次活动面向全区企业和群众,坚持公开、公平、公正的原则,接受社会监督。",
    "区政务服务中心开展了便民服务提升行动,办件平均时长较去年缩短百分之二十。",
    "各街道要结合实际,细化工作方案,认真做好宣传引导,及时报送工作进展情况。",
    "加强保密宣传教育,增强干部职工的保密意识,筑牢保密防线。",
    "根据《中华人民共和国政府信息公开条例》,现将本年度政府信息公开工作情况报告如下。",
    "2024年全区共受理政府信息公开申请56件,均已按期答复。",
    "联系人:区政府办公室,联系电话:010-12345678。",
)
_TITLES = ("关于开展{n}项便民服务的通知", "{n}年度政府信息公开工作报告", "关于做好第{n}批项目申报工作的公告",
           "区政府第{n}次常务会议召开", "关于印发第{n}号工作方案的通知")
_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军")

MARKINGS = ("机密★10年", "秘密★5年", "绝密★长期", "秘密★2030年12月31日")
INTERNAL = ("内部资料 注意保存", "工作秘密", "请勿外传")


def resident_id(rng: random.Random) -> str:
    """A fake 18-digit ID with a valid GB 11643-1999 check digit (ISO 7064 MOD 11-2)."""
    area = rng.choice(("110101", "310104", "440305", "510107", "320102"))
    birth = f"{rng.randint(1950, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = area + birth + f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


@dataclass(frozen=True)
class Planted:
    rel: str  # path relative to the site root (and URL path)
    kind: str  # "page" | "docx" | "pdf" | "txt"
    marking: str | None = None
    internal: str | None = None
    ids: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.marking or self.internal or self.ids)


def _body(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(_PARAGRAPHS) for _ in range(n)]


def _lines_for(p: Planted, rng: random.Random, title: str) -> list[str]:
    head = [p.marking] if p.marking else []
    head += [p.internal] if p.internal else []
    lines = [*head, title, *_body(rng, rng.randint(3, 8))]
    if p.ids:
        lines.append("附件:人员名单")
        lines += [f"{rng.choice(_SURNAMES)}{rng.choice(_GIVEN)} 身份证号:{i}" for i in p.ids]
    return lines


def _html(lines: list[str], title: str, links: list[str]) -> bytes:
    body = "".join(f"<p>{line}</p>" for line in lines)
    anchors = "".join(f'<li><a href="/{link}">附件</a></li>' for link in links)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><div class="article">{body}</div><ul>{anchors}</ul></body></html>').encode()


def build_site(root: Path, pages: int = 240, attachments: int = 60, seed: int = 7,
               duplicates: int = 5) -> list[Planted]:
    """Write ``pages`` html pages and ``attachments`` docx/pdf/txt files (plus ``duplicates``
    byte-identical copies of attachments under other names) and return what was planted."""
    rng = random.Random(seed)
    planted: list[Planted] = []
    written: list[tuple[str, bytes]] = []
    kinds = ("txt", "docx", "txt", "txt", "pdf", "txt", "docx", "txt", "txt", "txt")  # pdf and docx are the slow readers
    for i in range(attachments):
        kind = kinds[i % len(kinds)]
        section = SECTIONS[i % len(SECTIONS)]
        p = Planted(f"{section}/fj/{i:04d}.{kind}", kind, *_plant(rng, i))
        lines = _lines_for(p, rng, _TITLES[i % len(_TITLES)].format(n=i + 1))
        data = {"docx": docx_bytes, "pdf": pdf_lines}.get(kind, lambda ls: "\n".join(ls).encode())(lines)
        planted.append(p)
        written.append((p.rel, data))
    for j in range(duplicates):
        src_rel, data = written[j * 7 % len(written)]
        src = next(p for p in planted if p.rel == src_rel)
        rel = f"{SECTIONS[(j + 1) % len(SECTIONS)]}/copy/{j:03d}_{Path(src_rel).name}"
        planted.append(Planted(rel, src.kind, src.marking, src.internal, src.ids))
        written.append((rel, data))
    for i in range(pages):
        section = SECTIONS[i % len(SECTIONS)]
        p = Planted(f"{section}/{2020 + i % 5}/t{i:05d}.html", "page", *_plant(rng, i + 1000))
        title = _TITLES[i % len(_TITLES)].format(n=i + 1)
        links = [written[rng.randrange(len(written))][0]] if attachments and i % 4 == 0 else []
        planted.append(p)
        written.append((p.rel, _html(_lines_for(p, rng, title), title, links)))
    for rel, data in written:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return planted


def _plant(rng: random.Random, i: int) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Roughly 1 in 9 documents carries a marking, 1 in 13 an internal marking, 1 in 11 ID numbers."""
    marking = MARKINGS[i % len(MARKINGS)] if i % 9 == 4 else None
    internal = INTERNAL[i % len(INTERNAL)] if i % 13 == 6 and not marking else None
    ids = tuple(resident_id(rng) for _ in range(rng.randint(1, 3))) if i % 11 == 8 else ()
    return marking, internal, ids
