"""The catalogue's field model is built with the index or at start, never while a user waits."""

from __future__ import annotations

import threading

import pytest

from config import settings as config_settings
from listings.search import reindex
from market.core.extensions import db
from market.core.outbox import process_outbox
from matching import catalogue_model
from matching.recommend import matches_for_text
from tests import factories as f

BATTERY = {"title": "一种锂离子电池用陶瓷涂覆隔膜及其制备方法",
           "abstract": "本发明公开了一种锂电池隔膜，耐高温、孔隙均匀，提高电池安全性。"}
TEXT = "耐高温锂电池隔膜\n现有隔膜在高温下收缩，导致电池短路，需要耐高温隔膜技术。"


@pytest.fixture
def shelf(session):
    uni = f.organisation("沪北理工大学")
    point = f.point()
    return [f.listing(uni, point, patent_kw=BATTERY), f.listing(uni, point, patent_kw={
        "title": "一种水稻插秧机的分插机构", "abstract": "本发明涉及水稻插秧机，分插机构取秧稳定，伤秧率低。"})]


def _no_training(monkeypatch):
    """Make any training fail loudly, and say in which thread it was asked for."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(threading.current_thread().name)
        raise AssertionError("the field model was trained while a user waited")

    monkeypatch.setattr(catalogue_model, "train_field_model", refuse)
    return calls


def test_the_model_is_built_when_the_index_is_written_and_a_request_only_reads_it(shelf, app, monkeypatch):
    db.session.commit()
    process_outbox()  # indexes the listings: the index's model is built here
    built = catalogue_model._entry(app.extensions["search"]).model
    assert built is not None and built.documents == 2
    calls = _no_training(monkeypatch)
    outcome = matches_for_text(TEXT)
    assert outcome.matches and calls == []
    assert catalogue_model.field_model() is built


def test_reindex_builds_the_model_in_the_command(shelf, app):
    db.session.commit()
    assert catalogue_model._entry(app.extensions["search"]).model is None  # nothing indexed yet
    reindex()
    assert catalogue_model._entry(app.extensions["search"]).model.documents == 2


def test_a_request_with_no_model_asks_for_a_background_build_and_does_not_train(shelf, app, monkeypatch):
    db.session.commit()
    process_outbox()
    backend = app.extensions["search"]
    catalogue_model._entries.pop(backend)  # as in a new worker process: no model for this index
    asked = []
    monkeypatch.setattr(catalogue_model, "_build_in_background", lambda a, b: asked.append(b))
    calls = _no_training(monkeypatch)
    monkeypatch.setitem(app.config, "MATCHING_MODEL_BACKGROUND", True)
    with app.test_request_context():
        assert catalogue_model.field_model() is None
    assert asked == [backend] and calls == []


def test_a_drifted_catalogue_is_rebuilt_in_the_background_while_requests_use_the_old_model(shelf, app, monkeypatch):
    db.session.commit()
    process_outbox()
    backend = app.extensions["search"]
    old = catalogue_model._entry(backend).model
    catalogue_model._entry(backend).count = 20  # built when the shelf held 20: it has shrunk by 90 %
    asked = []
    monkeypatch.setattr(catalogue_model, "_build_in_background", lambda a, b: asked.append(b))
    monkeypatch.setitem(app.config, "MATCHING_MODEL_BACKGROUND", True)
    with app.test_request_context():
        assert catalogue_model.field_model() is old
    assert asked == [backend]


def test_the_app_starts_building_its_model_in_the_background_once_it_serves(tmp_path, monkeypatch, make_app):
    started = []
    monkeypatch.setattr(catalogue_model, "_build_in_background", lambda a, b: started.append((a, b)))
    settings = config_settings.TestSettings(str(tmp_path))
    settings.MATCHING_MODEL_BACKGROUND = settings.MATCHING_WARM_AT_START = True  # as in production
    app = make_app(settings)
    # An app that runs a command (`flask db upgrade`, `flask demo seed`) serves nothing: no build.
    assert started == []
    client = app.test_client()
    client.get("/healthz")
    assert started == [(app, app.extensions["search"])]
    client.get("/healthz")
    assert len(started) == 1  # the first request only
