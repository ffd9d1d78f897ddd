"""The README's set-up commands are the ones CI runs, and its example file is real."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_readme_has_two_setup_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "derivcheck check" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _commands()[1] in ci


def test_readme_example_matches_the_example_file():
    text = (ROOT / "README.md").read_text()
    example = (ROOT / "examples" / "my_derivation.py").read_text()
    for line in ('@claim(id="example.ewa_fixed_point"', 'd.step(sp.Eq(m, c), rule="divide by 1 - rho'):
        assert line in text and line in example
