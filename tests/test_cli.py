"""The `yoc` command line: help, and user errors as one clear line plus a hint."""

from __future__ import annotations

from yearofcare.cli import main


def test_help_lists_the_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("tables", "runs", "docs"):
        assert command in out


def test_unknown_engine_is_one_line_and_a_hint(capsys, tmp_path):
    code = main(["--engine", "oracle", "--data-dir", str(tmp_path / "d"), "tables"])
    err = capsys.readouterr().err
    assert code != 0
    assert "Error: unknown engine 'oracle'" in err
    assert "Hint:" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(capsys, tmp_path):
    code = main(["--debug", "--engine", "oracle", "--data-dir", str(tmp_path / "d"), "tables"])
    assert code != 0
    assert "Traceback" in capsys.readouterr().err


def test_unwritable_data_dir_is_reported(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["--data-dir", str(blocker / "store"), "tables"])
    err = capsys.readouterr().err
    assert code != 0 and "not writable" in err and "Traceback" not in err


def test_keygen_writes_a_key_and_refuses_to_overwrite(capsys, tmp_path):
    key = tmp_path / "k.key"
    assert main(["keygen", "--key-file", str(key)]) == 0
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    before = key.read_text()
    assert main(["keygen", "--key-file", str(key)]) != 0
    assert "already exists" in capsys.readouterr().err
    assert key.read_text() == before


def test_bad_option_value_is_a_usage_error_not_a_crash(capsys, tmp_path):
    code = main(["--data-dir", str(tmp_path / "d"), "synth", "--people", "abc"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--people" in err and "Traceback" not in err and "Internal error" not in err
