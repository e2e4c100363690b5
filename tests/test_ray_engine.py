"""The Ray Data engine gives the same results as the local engine (local 2-CPU Ray cluster)."""
from __future__ import annotations

import pandas as pd
import pytest

from notelens.audit import AuditConfig, run_audit

from test_audit import FLAG, PLAIN, known_notes, write_csv

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def test_ray_and_local_engines_agree(tmp_path, ray_cluster, baseline_analyzer):
    from notelens.ray_engine import run_audit_ray

    rows = known_notes() + [{"id": "bad", "team": "A", "date": "nope", "text": PLAIN},
                            {"id": "empty", "team": "B", "date": "2026-01-01", "text": ""}]
    rows += [{"id": f"x{i}", "team": "B", "date": "2026-03-01", "text": FLAG} for i in range(9)]
    inp = write_csv(tmp_path / "notes.csv", rows)
    cfg = AuditConfig(chunk_size=8, min_group_size=5)
    local = run_audit(inp, tmp_path / "local", baseline_analyzer, cfg, progress=False)
    distributed = run_audit_ray(inp, tmp_path / "ray", cfg, model="baseline", workers=2, batch_size=4)
    assert (local.read, local.scored, local.rejected, local.units) == \
           (distributed.read, distributed.scored, distributed.rejected, distributed.units)
    for name in ("notes.parquet", "units.parquet"):
        a = pd.read_parquet(tmp_path / "local" / name)
        b = pd.read_parquet(tmp_path / "ray" / name)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "local" / "summary.csv"),
                                  pd.read_csv(tmp_path / "ray" / "summary.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "local" / "rejects.csv"),
                                  pd.read_csv(tmp_path / "ray" / "rejects.csv"))
    assert (tmp_path / "ray" / "report.html").exists()
