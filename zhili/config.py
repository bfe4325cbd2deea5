"""One Settings object for the whole platform; every value can be set by an environment variable ZHILI_<NAME>."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHILI_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/zhili.db"
    var_dir: Path = Path("var")
    # Key material for encryption at rest (SM4-GCM) and blind indexes (HMAC-SM3): either the legacy single key
    # (hex, 32 bytes; its values are kid "k0") or the key file (see zhili/kit/keys.py; created by `zhili keys init`,
    # rotated by `zhili keys rotate`). No key, no start: nothing is ever written in clear.
    secret_key: str = ""
    key_file: Path | None = None  # default <var_dir>/keys.json
    session_idle_minutes: int = 30
    session_max_hours: int = 12  # however active, a web session ends this long after login
    session_cookie_secure: bool = False
    login_max_failures: int = 5
    lockout_minutes: int = 15
    api_token_days: int = 30
    audit_retention_days: int = Field(default=184, ge=184)
    # Optional map tile URL template (an intranet tile server); empty = polygons only, works fully offline.
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    district_name: str = "鄞州区"
    case_number_prefix: str = "YZ"
    # How often (seconds) a process checks whether grids changed and its spatial index must be rebuilt.
    geo_refresh_seconds: float = 5.0
    # The read side (indicators, charts) is brought up to date with changed cases at most this often by a reader,
    # and every minute by the `analysis.refresh` job: figures lag changes by at most this. 0: on every read.
    analysis_refresh_seconds: float = 60.0
    # Run the periodic jobs in a thread inside `zhili serve` (the embedded default); set false when separate
    # `zhili worker` processes run them.
    embedded_worker: bool = True
    # The case clock: working periods of a working day (local time), the zone, and when a warning turns yellow.
    work_periods: str = "08:30-12:00,13:30-17:30"
    timezone: str = "Asia/Shanghai"
    warning_ratio: float = Field(default=0.8, gt=0, lt=1)
    send_back_work_days: float = 1.0  # a department may send a case back within this many working days
    max_dispatches: int = 3  # from this dispatch on, the center designates the handler: no more send-backs
    reopen_on_unsatisfied: bool = True  # an unsatisfied follow-up may reopen the case
    supervision_answer_work_days: float = 1.0
    max_photo_bytes: int = 10 * 1024 * 1024
    sms_sender: str = "log"  # "log": write to the log and the sms_messages table; a gateway plugs in here
    # Category suggestion (zhili/brain): a retrained model becomes active only with at least this many registered
    # cases behind it; training reads at most the most recent `brain_max_training_cases`.
    brain_min_training_cases: int = Field(default=200, ge=10)
    brain_max_training_cases: int = Field(default=200_000, ge=100)
    # Duplicate candidates (cases/dedup.py): open cases, and cases closed within `dedup_closed_days`, of the same
    # or a sibling category within `dedup_radius_m` (staff may widen up to `dedup_max_radius_m`) whose text is at
    # least `dedup_min_similarity` alike (cosine of character uni+bigrams; see dedup.py for the calibration).
    dedup_radius_m: float = Field(default=250.0, ge=1)
    dedup_max_radius_m: float = Field(default=1000.0, ge=1)
    dedup_closed_days: int = Field(default=7, ge=0)
    dedup_min_similarity: float = Field(default=0.25, ge=0, le=1)
    # Repeat complaints (重复投诉), flagged at intake: at least `repeat_min_cases` earlier cases within
    # `repeat_window_days` at the same place (within `repeat_radius_m`, or the same address text nearby), or
    # an earlier case of the same caller about the same matter (same or sibling category).
    repeat_window_days: int = Field(default=30, ge=1)
    repeat_radius_m: float = Field(default=30.0, ge=1, le=250)
    repeat_min_cases: int = Field(default=2, ge=1)
    # Verification tasks (核查, registry/verify.py), made daily per grid: an entity not verified on site for
    # `registry_stale_months` months (never verified counts) is stale; a run opens at most
    # `registry_tasks_per_grid` new tasks per grid (conflicts first, then incomplete, then the oldest), each due
    # `registry_task_due_work_days` working days later.
    registry_stale_months: int = Field(default=6, ge=1, le=120)
    registry_tasks_per_grid: int = Field(default=30, ge=1, le=1000)
    registry_task_due_work_days: int = Field(default=10, ge=1, le=60)
    # Retention of personal data (registry/retention.py, job `registry.retention`, daily; audited with counts).
    # A floating resident who moved out is anonymised this many days after `moved_out_on`: a year covers the
    # follow-ups of a departure (a case still open at the old address, a department's late correction, the annual
    # count of the floating population) and no purpose needs the identity after that (PIPL art. 19: keep no
    # longer than the purpose needs). The row stays, so statistics still add up.
    retention_moved_out_days: int = Field(default=365, ge=30)
    # A closed case's caller name and phone (and the phone's blind index) are erased this many days after closing:
    # long enough for the satisfaction follow-up, a reopening after an unsatisfied visit, repeat-complaint
    # detection (repeat_window_days) and the year's assessment appeals; the case itself is kept.
    retention_case_contact_days: int = Field(default=365, ge=31)
    retention_batch: int = Field(default=1000, ge=1, le=100_000)  # rows per statement batch
    # Bulk exports with personal data (registry/exports.py): an approved file may be downloaded this many hours
    # after approval; the retention job then deletes the file (a copy of personal data must not linger).
    export_expiry_hours: int = Field(default=24, ge=1, le=24 * 30)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
