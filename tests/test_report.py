"""endodecide report: files written, content, escaping and rendering (goldens: test_goldens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from endodecide.disclaimer import DISCLAIMER
from endodecide.rulepack import RulePack
from tests.conftest import PROFILES, cli

# The endocrine history picture a Markdown report links, written beside it (render.history_svg)
HISTORY_IMAGE = re.compile(r'<img src="[\w.-]+\.history\.svg" alt="[^"<>]*" />')
CITATION_LINK = re.compile(r'href="https://(pubmed\.ncbi\.nlm\.nih\.gov/\d+/|doi\.org/10\.[^"]+)"')
HOSTILE = """\
label: <script>alert('label')</script> Relapse | on [letrozole](javascript:alert(1))
teaching_note: >-
  <img src=x onerror=alert(1)> **bold** <b>tag</b> & ampersand # not a heading
sex: female
menopausal_status: post
receptors: {er: positive, pr: positive, her2: negative}
disease: {setting: de_novo, extent: bone_only}
endocrine_history:
  - {agents: [letrozole], setting: metastatic, months: 14, ended: progression}
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    done = cli("report", "profiles/", "--out", str(out), "--format", "both")
    assert done.returncode == 0, done.stderr
    return out


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


@pytest.mark.slow
def test_one_report_per_profile_and_an_index(reports: Path) -> None:
    stems = sorted(p.stem for p in PROFILES.iterdir())
    for fmt in ("html", "md"):
        assert sorted(p.stem for p in reports.glob(f"*.{fmt}")) == sorted([*stems, "index"])
    index = (reports / "index.html").read_text()
    for stem in stems:
        assert f'href="{stem}.html"' in index
    assert "](P001-de-novo-endocrine-naive.md)" in (reports / "index.md").read_text()


@pytest.mark.slow
def test_disclaimer_at_top_and_bottom_of_every_file(reports: Path) -> None:
    for path in reports.iterdir():
        text = " ".join(path.read_text().split())
        if path.suffix == ".html":
            head = text.split("<body>")[1].split("<h1>")[0]
            tail = text.split("</main>")[1]
        else:
            head, tail = text.split("# ")[0], text.split("## ")[-1][-800:]
        assert DISCLAIMER in head and DISCLAIMER in tail, path.name


@pytest.mark.slow
def test_pack_name_version_and_evidence_date_in_every_file(reports: Path, pack: RulePack) -> None:
    m = pack.manifest
    for path in reports.iterdir():
        text = path.read_text()
        assert f"{m.name} {m.version}" in text and m.evidence_as_of in text, path.name


@pytest.mark.slow
def test_every_option_shows_a_citation_link(reports: Path) -> None:
    checked = 0
    for path in reports.glob("P*.html"):
        blocks = path.read_text().split('<article class="option')[1:]
        for block in blocks:
            assert CITATION_LINK.search(block.split("</article>")[0]), path.name
            checked += 1
    assert checked > 50


@pytest.mark.slow
def test_near_miss_section_names_the_failed_condition(reports: Path) -> None:
    html = (reports / "P003-secondary-resistance-adjuvant-tamoxifen.html").read_text()
    near = html.split('id="near"')[1].split('id="against"')[0]
    assert "Aromatase inhibitor as first-line endocrine therapy" in near
    assert "endocrine resistance (ESO-ESMO ABC2) is not endocrine resistant" in near
    assert "endocrine resistance (ESO-ESMO ABC2): secondary" in near


@pytest.mark.slow
def test_evidence_against_shows_the_negative_trial(reports: Path) -> None:
    html = (reports / "P004-progression-first-line-letrozole.html").read_text()
    against = html.split('id="against"')[1]
    assert "Adding anastrozole to fulvestrant" in against and "SoFEA" in against
    assert "https://doi.org/10.1016/S1470-2045(13)70322-X" in against


@pytest.mark.slow
def test_html_is_self_contained(reports: Path) -> None:
    for path in reports.glob("*.html"):
        html = path.read_text()
        assert "<script" not in html and "<link" not in html and "@import" not in html
        assert not re.search(r'src="(https?:)?//', html)
        assert '<html lang="en">' in html and "@page { size: A4" in html


@pytest.mark.slow
def test_markdown_renders_with_tables_and_links(reports: Path) -> None:
    html = _markdown().render(
        (reports / "P016-late-relapse-after-adjuvant-tamoxifen.md").read_text()
    )
    assert html.count("<table>") >= 5
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/30917258/">PMID 30917258</a>' in html
    assert "<h2>Considered but not offered</h2>" in html


@pytest.mark.slow
def test_free_text_is_escaped_in_both_formats(tmp_path: Path) -> None:
    profile = tmp_path / "hostile.yaml"
    profile.write_text(HOSTILE)
    out = tmp_path / "out"
    done = cli("report", str(profile), "--out", str(out), "--format", "both")
    assert done.returncode == 0, done.stderr
    html = (out / "hostile.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>tag</b>" not in html
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    index = (out / "index.html").read_text()
    assert "<script>" not in index and "&lt;script&gt;" in index
    assert "<script>" not in (out / "hostile.history.svg").read_text()
    for name in ("hostile.md", "index.md"):
        rendered = _markdown().render((out / name).read_text())
        rendered = HISTORY_IMAGE.sub("", rendered, count=1)  # the one image the report links
        assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert "javascript:" not in rendered.replace("](javascript:", "")
        assert 'href="javascript' not in rendered
    rendered = _markdown().render((out / "hostile.md").read_text())
    assert "&lt;script&gt;alert('label')&lt;/script&gt;" in rendered
    assert "<h1>&lt;script&gt;" in rendered  # the title stays one heading, as text


@pytest.mark.slow
def test_bad_profile_among_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.yaml").write_text(HOSTILE.replace("<script>", "x"))
    (folder / "bad.yaml").write_text("label: x\nsex: femal\n")
    out = tmp_path / "out"
    done = cli("report", str(folder), "--out", str(out))
    assert done.returncode == 1
    assert "bad.yaml" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.html", "index.html"]


@pytest.mark.slow
def test_out_must_be_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    done = cli("report", "profiles/P001-de-novo-endocrine-naive.yaml", "--out", str(target))
    assert done.returncode == 1
    assert "--out must be a folder" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "x"


@pytest.mark.slow
def test_same_file_name_in_two_folders_gets_two_reports(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "case.yaml").write_text(HOSTILE)
    out = tmp_path / "out"
    done = cli("report", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "-f", "md")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "case-2.history.svg",
        "case-2.md",
        "case.history.svg",
        "case.md",
        "index.md",
    ]


def test_templates_fail_loudly_on_a_missing_variable() -> None:
    from jinja2 import StrictUndefined, UndefinedError

    from endodecide.render.report import _template

    for fmt in ("html", "md"):
        template = _template(fmt, "report")
        assert template.environment.undefined is StrictUndefined
        with pytest.raises(UndefinedError):
            template.render()
    assert _template("html", "report").environment.autoescape is True


@pytest.mark.slow
def test_run_explain_shows_reasons_and_near_misses() -> None:
    done = cli("run", "--explain", "profiles/P003-secondary-resistance-adjuvant-tamoxifen.yaml")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "Because: tamoxifen (adjuvant), 36 months, ended by relapse [ED020]" in out
    assert "Considered but not offered" in out
    assert (
        "not met: endocrine resistance (ESO-ESMO ABC2) is not endocrine resistant (here: "
        "endocrine resistance (ESO-ESMO ABC2): secondary)"
    ) in out
    plain = cli("run", "profiles/P003-secondary-resistance-adjuvant-tamoxifen.yaml")
    assert "Considered but not offered" not in plain.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("report", "profiles/P001-de-novo-endocrine-naive.yaml", "--out"),
        ("handout", "--out"),
        ("coverage", "--out"),
        ("rules", "catalog", "--out"),
    ],
    ids=["report", "handout", "coverage", "catalog"],
)
def test_an_unwritable_output_is_one_clear_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    done = cli(*args, str(blocker / "inside" / "out.html"))
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
