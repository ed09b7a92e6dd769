from pathlib import Path

import pytest

from releasegate.errors import ConfigurationError
from releasegate.settings import load_settings


def test_settings_defaults_in_home(tmp_path):
    settings = load_settings(home=tmp_path, environ={})
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / '.releasegate' / 'releasegate.db'}"
    assert settings.resolved_blob_dir == tmp_path / ".releasegate" / "blobs"
    assert settings.resolved_catalog == tmp_path / "catalog.yaml"
    assert settings.approval_ttl_hours == 72


def test_settings_precedence_flag_env_file(tmp_path):
    (tmp_path / "releasegate.toml").write_text(
        '[releasegate]\ncatalog = "from-file.yaml"\napproval_ttl_hours = 10\nlog_level = "INFO"\n'
    )
    env = {"RELEASEGATE_CATALOG": "from-env.yaml", "RELEASEGATE_APPROVAL_TTL_HOURS": "20"}
    settings = load_settings(home=tmp_path, environ=env, overrides={"catalog": Path("from-flag.yaml")})
    assert settings.resolved_catalog == tmp_path / "from-flag.yaml"
    assert settings.approval_ttl_hours == 20
    assert settings.log_level == "INFO"


def test_settings_file_paths_relative_to_file(tmp_path):
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "rg.toml").write_text('policy_dir = "policies"\n')
    settings = load_settings(home=tmp_path, environ={"RELEASEGATE_CONFIG": str(config_dir / "rg.toml")})
    assert settings.resolved_policy_dir == config_dir / "policies"


def test_settings_unknown_key_in_file(tmp_path):
    (tmp_path / "releasegate.toml").write_text("colour = 1\n")
    with pytest.raises(ConfigurationError, match=r"releasegate.toml: unknown setting\(s\) colour"):
        load_settings(home=tmp_path, environ={})


def test_settings_invalid_toml(tmp_path):
    (tmp_path / "releasegate.toml").write_text("catalog = \n")
    with pytest.raises(ConfigurationError, match="releasegate.toml: invalid TOML"):
        load_settings(home=tmp_path, environ={})


def test_settings_invalid_env_value(tmp_path):
    with pytest.raises(ConfigurationError, match="invalid setting approval_ttl_hours"):
        load_settings(home=tmp_path, environ={"RELEASEGATE_APPROVAL_TTL_HOURS": "soon"})
