"""The `dongxi` command: database, demo data, users, tokens, serving and configuration checks."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from accounts.roles import ROLES
from audit.context import Actor, register_provider
from core.clock import SystemClock, local_minute
from core.db import Database
from core.errors import DomainError
from kiosk_api import config as config_module
from kiosk_api import migrate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Context:
    """Settings and the database of one command; each command is one unit of work."""

    def __init__(self) -> None:
        self.settings = config_module.from_environment()
        self._db: Database | None = None
        self.clock = SystemClock()

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database.from_url(self.settings["DATABASE_URL"])
        return self._db


pass_context = click.make_pass_decorator(Context, ensure=True)


def _fail(error: DomainError) -> None:
    fields = "".join(f"\n  {name}: {why}" for name, why in error.fields.items())
    raise click.ClickException(f"{error.message}{fields}")


# Commands that run for nobody in particular: the servers and the scheduled jobs' worker, whose
# writes are the system's own (kiosks, webhooks, jobs) and recorded in their ledgers.
UNAUDITED_COMMANDS = frozenset({"serve", "worker"})


def _cli_actor() -> Actor | None:
    """The person at the terminal, for the audit log: who ran which command on which host."""
    import getpass
    import socket

    command = click.get_current_context(silent=True)
    if command is None:
        return None
    path = command.command_path.split()
    if len(path) > 1 and path[1] in UNAUDITED_COMMANDS:
        return None
    return Actor(
        name=f"cli:{getpass.getuser()}",
        role="cli",
        via="cli",
        origin=socket.gethostname(),
        operation=" ".join(["dongxi", *path[1:]]),  # names only: options may hold passwords
    )


@click.group()
def main() -> None:
    """dongxi — consumption assistance (消费帮扶) for East–West cooperation."""
    register_provider(_cli_actor)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply the Alembic migrations."""
    url = ctx.settings["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"migrating {_redact(url)} to {revision} …")
    migrate.upgrade(url, revision=revision)
    click.echo("database is up to date")


@db.command("revision")
@click.option("--message", "-m", required=True, help="what the migration does")
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (against a scratch SQLite database); read it after."""
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/scratch.db"
        migrate.upgrade(url)
        command.revision(migrate.alembic_config(url), message=message, autogenerate=True)


@main.group()
def catalogue() -> None:
    """The catalogue."""


@catalogue.command("reindex")
@pass_context
def catalogue_reindex(ctx: Context) -> None:
    """Recompute every product's search keys (characters, pinyin, initials, synonyms)."""
    from catalogue.products import reindex_products

    with ctx.db.unit_of_work() as session:
        changed = reindex_products(session)
    click.echo(f"search keys recomputed: {changed} product(s) changed")


@main.group()
def demo() -> None:
    """Demo data drawn from real pairings."""


@demo.command("load")
@pass_context
def demo_load(ctx: Context) -> None:
    """Load the demo data; running it again adds nothing."""
    from kiosk_api.demo import load_demo
    from kiosk_api.demo_history import load_demo_history

    try:
        with ctx.db.unit_of_work() as session:
            added = load_demo(session, ctx.clock, progress=lambda msg: click.echo(f"  {msg}"))
        # After the demo is committed, in units of work of its own (the services commit as they go).
        added.update(load_demo_history(ctx.db, ctx.clock, progress=lambda msg: click.echo(f"  {msg}")))
    except DomainError as error:
        _fail(error)
    click.echo("demo data loaded: " + ", ".join(f"{k} +{v}" for k, v in added.items()))


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@pass_context
def users_create(ctx: Context, username: str, role: str, password: str, display_name: str) -> None:
    """Create a user with an argon2-hashed password."""
    from kiosk_api.auth.service import create_user

    try:
        with ctx.db.unit_of_work() as session:
            create_user(
                session, ctx.clock, username=username, role=role, password=password, display_name=display_name
            )
    except DomainError as error:
        _fail(error)
    click.echo(f"created {role} {username}")


@users.command("set-password")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_context
def users_set_password(ctx: Context, username: str, password: str) -> None:
    """Give a user a new password; every session they had is ended."""
    from kiosk_api.auth.service import set_password

    _account_change(ctx, lambda s: set_password(s, username, password))
    click.echo(f"{username}: new password set, every session ended")


@users.command("deactivate")
@click.option("--username", required=True)
@pass_context
def users_deactivate(ctx: Context, username: str) -> None:
    """Deactivate a user: no sign-in, every session ended and every bearer token revoked."""
    from kiosk_api.auth.service import deactivate_user

    revoked: list[int] = []
    _account_change(ctx, lambda s: revoked.append(deactivate_user(s, ctx.clock, username)[1]))
    click.echo(f"{username}: deactivated, every session ended, {revoked[0]} token(s) revoked")


def _account_change(ctx: Context, change: Callable[[Session], object]) -> None:
    """Make a change to one user account in one unit of work (audited as every CLI write is)."""
    try:
        with ctx.db.unit_of_work() as session:
            change(session)
    except DomainError as error:
        _fail(error)


@main.group()
def tokens() -> None:
    """Bearer tokens for scripts."""


@tokens.command("create")
@click.option("--username", required=True)
@click.option("--name", default="", help="what the token is for")
@pass_context
def tokens_create(ctx: Context, username: str, name: str) -> None:
    """Print a new bearer token for a user (shown once)."""
    from kiosk_api.auth.service import create_token

    try:
        with ctx.db.unit_of_work() as session:
            token = create_token(session, ctx.clock, username, name)
    except DomainError as error:
        _fail(error)
    click.echo(token)


@tokens.command("revoke")
@click.option("--username", required=True)
@click.option("--id", "token_id", type=int, default=None, help="only this token (dongxi tokens list)")
@pass_context
def tokens_revoke(ctx: Context, username: str, token_id: int | None) -> None:
    """Revoke a user's bearer tokens (all of them, or one by its id): they stop working at once."""
    from kiosk_api.auth.service import revoke_tokens

    revoked: list[int] = []
    _account_change(ctx, lambda s: revoked.append(revoke_tokens(s, ctx.clock, username, token_id)))
    click.echo(f"{username}: {revoked[0]} token(s) revoked")


@tokens.command("list")
@click.option("--username", required=True)
@pass_context
def tokens_list(ctx: Context, username: str) -> None:
    """A user's bearer tokens: id, name, created and revoked (Asia/Shanghai); never the token."""
    from sqlalchemy import select

    from accounts.models import ApiToken
    from core.clock import local_minute
    from kiosk_api.auth.service import user_named

    with ctx.db.unit_of_work() as session:
        try:
            user = user_named(session, username)
        except DomainError as error:
            _fail(error)
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
        click.echo(f"{'id':>6}  {'name':<24} times in Asia/Shanghai")
        for row in rows:
            state = f"revoked {local_minute(row.revoked_at)}" if row.revoked_at else "live"
            click.echo(f"{row.id:>6}  {row.name or '—':<24} created {local_minute(row.created_at)}  {state}")


@main.group()
def kiosks() -> None:
    """Kiosk device keys (KIOSK_PROTOCOL.md)."""


def _key_command(ctx: Context, action: str, code: str) -> None:
    import json

    from kiosk_api.kiosks import service as kiosk_service

    try:
        with ctx.db.unit_of_work() as session:
            if action == "revoke":
                kiosk_service.revoke(session, code)
                result = None
            else:
                handler = kiosk_service.provision if action == "provision" else kiosk_service.rotate
                result = handler(session, ctx.clock, code, secret_key=ctx.settings["SECRET_KEY"])
    except DomainError as error:
        _fail(error)
    if result is None:
        click.echo(f"kiosk {code}: key revoked")
    else:
        click.echo(json.dumps(result))


@kiosks.command("provision")
@click.argument("code")
@pass_context
def kiosks_provision(ctx: Context, code: str) -> None:
    """Create a kiosk's device key and print {"key_id", "secret"} once."""
    _key_command(ctx, "provision", code)


@kiosks.command("rotate")
@click.argument("code")
@pass_context
def kiosks_rotate(ctx: Context, code: str) -> None:
    """Replace a kiosk's device key and print the new one once."""
    _key_command(ctx, "rotate", code)


@kiosks.command("revoke")
@click.argument("code")
@pass_context
def kiosks_revoke(ctx: Context, code: str) -> None:
    """Disable a kiosk's device key."""
    _key_command(ctx, "revoke", code)


@kiosks.command("prune-nonces")
@click.option("--batch", default=10_000, show_default=True, help="nonces deleted per transaction")
@pass_context
def kiosks_prune_nonces(ctx: Context, batch: int) -> None:
    """Forget the signature nonces too old to be replayed (run it every few minutes from cron or a
    timer, as `holds release-expired`): the replay table stays the size of a few minutes' traffic.
    With REDIS_URL set the nonces are in Redis, which expires them itself: only what the table
    still holds from before (or from a server without REDIS_URL) is left to prune."""
    from kiosk_api.kiosks.service import prune_nonces

    if ctx.settings["REDIS_URL"]:
        click.echo("nonces are kept in Redis (REDIS_URL), which expires them: nothing to prune there")
    total = 0
    while True:
        with ctx.db.unit_of_work() as session:
            pruned = prune_nonces(session, ctx.clock, limit=batch)
        total += pruned
        if pruned < batch:
            break
        click.echo(f"  pruned {total:,} so far …")
    click.echo(f"old nonces pruned: {total:,}")


@main.group()
def payments() -> None:
    """Payments."""


@payments.command("reconcile")
@pass_context
def payments_reconcile(ctx: Context) -> None:
    """Fetch unsettled payments from the provider and repair what missed webhooks or crashes left;
    pay out the refunds the provider never answered and settle those it answered pending."""
    from kiosk_api.payments_ext import build_provider
    from sales.provider_repair import reconcile

    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    counts = reconcile(ctx.db, ctx.clock, provider, log=lambda msg: click.echo(f"  {msg}"))
    click.echo("reconciled: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@payments.command("retry-refund")
@click.argument("refund_id", type=int)
@pass_context
def payments_retry_refund(ctx: Context, refund_id: int) -> None:
    """Refund again what a refund the provider failed should have given back (a new refund of the
    same units, paid out at once)."""
    from kiosk_api.payments_ext import build_provider
    from payments.models import Refund
    from sales.refunds import process_pending_refunds, retry_refund

    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    try:
        with ctx.db.unit_of_work() as session:
            refund = retry_refund(session, ctx.clock, refund_id, actor="cli")
            new_id, order_id = refund.id, refund.payment.order_id
    except DomainError as error:
        _fail(error)
    process_pending_refunds(ctx.db, ctx.clock, provider, only_order=order_id)
    with ctx.db.unit_of_work() as session:
        status = session.get(Refund, new_id).status
    click.echo(f"refund {refund_id} retried as refund {new_id}: {status}")


@payments.command("bills")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="the bill's day, YYYY-MM-DD in Asia/Shanghai (default: yesterday)",
)
@pass_context
def payments_bills(ctx: Context, day) -> None:
    """Download the provider's daily trade bill (WeChat Pay, Alipay) and match every line with our
    payments and refunds; print and record what differs. Exit 1 if anything does."""
    from core.money import format_fen
    from kiosk_api.payments_ext import build_provider
    from payments.bills import check_daily_bill, last_bill_day

    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    wanted = day.date() if day else last_bill_day(ctx.clock)
    try:
        check = check_daily_bill(ctx.db, ctx.clock, provider, wanted, log=lambda msg: click.echo(f"  {msg}"))
    except DomainError as error:
        _fail(error)
    for d in check.differences:
        ours = format_fen(d["ours_fen"]) if d["ours_fen"] is not None else "—"
        theirs = format_fen(d["theirs_fen"]) if d["theirs_fen"] is not None else "—"
        order = d["order_id"] or "—"
        click.echo(f"  {d['kind']:<15} {d['record']:<8} {d['ref']} order {order} ours {ours} theirs {theirs}")
    click.echo(
        f"{provider.name} bill of {wanted.isoformat()}: {check.bill_lines} lines, {check.matched} matched, "
        f"{len(check.differences)} differ"
    )
    if check.differences:
        sys.exit(1)


@payments.command("payouts")
@pass_context
def payments_payouts(ctx: Context) -> None:
    """List the payouts owed: refunds on bank transfers (bulk lines, overpayments) an operator has
    not yet paid out; record each with POST /api/v1/payouts/{refund}/paid (or /failed)."""
    from core.money import format_fen
    from sales.payouts import list_owed_payouts

    with ctx.db.unit_of_work() as session:
        owed = list_owed_payouts(session)
    for row in owed:
        click.echo(
            f"  refund {row['refund_id']}  {format_fen(row['amount_fen'])}  {row['kind']}"
            f"  order {row['number'] or row['order_id']}  since {row['created_at']:%Y-%m-%d %H:%M}"
            f"  {row['reason']}"
        )
    total = sum(row["amount_fen"] for row in owed)
    click.echo(f"payouts owed: {len(owed)}, {format_fen(total)}")


@main.group()
def holds() -> None:
    """Stock held (reserved) for orders awaiting payment."""


@holds.command("release-expired")
@click.option("--batch", default=500, show_default=True, help="balances released per transaction")
@pass_context
def holds_release_expired(ctx: Context, batch: int) -> None:
    """Put the stock of holds past their expiry back on sale (run it every minute from cron or a
    timer). The orders themselves are left as they are: this expires no order."""
    from inventory.service import expire_reservations, run_in_transaction

    total = 0
    while True:
        try:
            released = run_in_transaction(
                ctx.db, lambda session: expire_reservations(session, ctx.clock, limit=batch)
            )
        except DomainError as error:
            _fail(error)
        total += released
        if released == 0:
            break
        click.echo(f"  released {total} so far …")
    click.echo(f"expired holds released: {total}")


@main.group()
def orders() -> None:
    """Orders."""


@orders.command("expire")
@click.option("--batch", default=200, show_default=True, help="orders looked at per round")
@pass_context
def orders_expire(ctx: Context, batch: int) -> None:
    """Expire the orders still awaiting payment past their expiry, put their stock back and cancel
    their payment at the provider (run it every minute from cron or a timer, beside
    `holds release-expired`; a kiosk's poll does the same for its own order)."""
    from kiosk_api.payments_ext import build_provider
    from sales.checkout import expire_lapsed_orders

    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    total = 0
    while True:
        expired = expire_lapsed_orders(ctx.db, ctx.clock, provider, limit=batch)
        total += expired
        if expired < batch:
            break
        click.echo(f"  expired {total:,} so far …")
    click.echo(f"lapsed orders expired: {total:,}")


@main.group()
def statements() -> None:
    """Monthly statements (月度对账单)."""


@statements.command("issue")
@click.argument("period")
@pass_context
def statements_issue(ctx: Context, period: str) -> None:
    """Issue (close) a finished month YYYY-MM: freeze every statement with its SHA-256 hash."""
    import getpass

    from sales.statements.issue import issue_period

    try:
        with ctx.db.unit_of_work() as session:
            result = issue_period(
                session,
                ctx.clock,
                period,
                actor=f"cli:{getpass.getuser()}",
                start=ctx.settings.get("STATEMENTS_START") or None,
                progress=click.echo,
            )
    except DomainError as error:
        _fail(error)
    verb = "issued" if result.newly_issued else "already issued (nothing changed):"
    at = local_minute(result.issued_at)
    click.echo(f"{period} {verb} {result.statement_count} statements at {at} (Asia/Shanghai)")


@main.command("check-config")
@click.option(
    "--production",
    is_flag=True,
    help="also refuse what only a demo may use (SQLite, simulated provider, default key, http, no Redis)",
)
@pass_context
def check_config(ctx: Context, production: bool) -> None:
    """Check the environment's configuration, the database and Redis; exit 1 on any problem.

    With --production (or DONGXI_ENV=production) one line per unsafe setting, each a reason to refuse."""
    if not _config_ok(ctx, production=production or config_module.is_production(ctx.settings)):
        sys.exit(1)


def _config_ok(ctx: Context, *, production: bool) -> bool:
    """Print what the configuration connects to and one `! ` line per problem; return whether none."""
    settings = ctx.settings
    found = config_module.problems(settings, production=production)
    try:
        with ctx.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        click.echo(f"database: reachable ({_redact(settings['DATABASE_URL'])})")
    except Exception as exc:  # any driver error means the same thing to the operator
        found.append(f"database not reachable: {exc.__class__.__name__}: {exc}")
    if settings["REDIS_URL"]:
        import redis

        try:
            redis.Redis.from_url(settings["REDIS_URL"], socket_connect_timeout=3).ping()
            click.echo(f"redis (device nonces): reachable ({_redact(settings['REDIS_URL'])})")
        except redis.RedisError as exc:  # device requests would all answer 503
            found.append(f"redis (REDIS_URL: device nonces) not reachable: {exc.__class__.__name__}: {exc}")
    else:
        click.echo("device nonces: in the database (set REDIS_URL to keep them in Redis)")
    notes = [] if production else config_module.warnings(settings)
    for line in (*found, *notes):
        click.echo(f"! {line}")
    mode = "production" if production else "development"
    if found:
        click.echo(f"configuration refused ({mode}): {len(found)} problem{'s' if len(found) > 1 else ''}")
    else:
        click.echo(
            f"configuration OK ({mode})" if not notes else f"configuration usable ({mode}, see warnings)"
        )
    return not found


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="DONGXI_HOST")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="DONGXI_PORT")
@click.option("--kiosks/--no-kiosks", default=False, help="also run the demo cabinets' kiosk programs")
@click.option(
    "--jobs/--no-jobs",
    default=True,
    show_default=True,
    help="run the scheduled jobs in this process (not with --production: run `dongxi worker` beside it)",
)
@click.option(
    "--production",
    is_flag=True,
    help="serve with gunicorn and kiosk_api/gunicorn_conf.py (bind: DONGXI_BIND, default 127.0.0.1:8000)",
)
@pass_context
def serve(ctx: Context, host: str, port: int, kiosks: bool, jobs: bool, production: bool) -> None:
    """Serve the app with the embedded server (or gunicorn, --production) and print the URLs that matter."""
    if production:
        # The gunicorn this process becomes serves in production mode; it will not start unsafe.
        if not _config_ok(ctx, production=True):
            raise click.ClickException(
                "not starting: fix the configuration above (dongxi check-config --production)"
            )
        _serve_with_gunicorn()
        return
    from kiosk_api import create_app
    from kiosk_api.demo import demo_accounts
    from kiosk_api.demo_kiosks import (
        KIOSK_PORTS_VARIABLE,
        demo_kiosk_ports,
        ensure_demo_keys,
        start_kiosk_programs,
    )

    base = f"http://{host}:{port}"
    try:
        kiosk_ports = demo_kiosk_ports(os.environ.get(KIOSK_PORTS_VARIABLE), server_port=port)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    # Links in QR codes point at this server unless PUBLIC_BASE_URL says where the public reaches it.
    app = create_app({} if os.environ.get("PUBLIC_BASE_URL") else {"PUBLIC_BASE_URL": base})
    programs = []
    if kiosks:
        var_dir = Path(ctx.settings["VAR_DIR"])
        keys = ensure_demo_keys(
            ctx.db, ctx.clock, secret_key=ctx.settings["SECRET_KEY"], path=var_dir / "demo-kiosk-keys.json"
        )
        programs = start_kiosk_programs(keys, server=base, var_dir=var_dir, ports=kiosk_ports)
    scheduler = None
    if jobs:  # the embedded default needs no worker of its own: the jobs run in this server
        from kiosk_api.jobs.scheduler import start_in_background

        ext = app.extensions
        triggers = _job_triggers()
        scheduler = start_in_background(
            ext["dongxi.db"], ext["dongxi.clock"], ext["dongxi.payments"], triggers
        )
    lines = [
        "",
        "dongxi is running 东西已启动",
        f"  catalogue 商品目录      {base}/",
        f"  products API 商品接口   {base}/api/v1/products?q=tudou",
        f"  OpenAPI 接口文档        {base}/api/v1/openapi.json",
        f"  sign in 登录            {base}/login",
        f"  web shop 网上商城       {base}/shop",
        f"  unit 单位采购           {base}/org",
        f"  console 运营后台        {base}/console/",
        f"  restocker 补货（手机）  {base}/restock/",
        *(f"  kiosk 自助柜 {code:<10} {url}" for code, url, _p in programs),
        *(["  jobs 后台任务          running in this server (dongxi jobs list)"] if scheduler else []),
        "  demo accounts 演示账号 (username / password):",
        *(f"    {u:<20} {p}" for u, p, _role in demo_accounts()),
        "",
    ]
    click.echo("\n".join(lines))
    from kiosk_api.observability import configure_logging

    configure_logging()
    # One line per request, the app's JSON one (dongxi.requests), not werkzeug's access line too.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # SIGTERM (a service manager's stop) ends the server as Ctrl-C does, so the demo cabinets'
    # programs and the jobs stop with it instead of living on as orphans.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app.run(
            host=host, port=port, threaded=True, use_reloader=False, request_handler=_quiet_request_handler()
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for _code, _url, process in programs:
            process.terminate()


def _quiet_request_handler() -> type:
    """Werkzeug's request handler, without its version banner (`Server: Werkzeug/3.1 Python/3.11`)."""
    from werkzeug.serving import WSGIRequestHandler

    from kiosk_api.headers import SERVER_NAME_HEADER

    class QuietHandler(WSGIRequestHandler):
        def version_string(self) -> str:
            return SERVER_NAME_HEADER

    return QuietHandler


def _serve_with_gunicorn() -> None:
    """Replace this process with gunicorn, configured by kiosk_api/gunicorn_conf.py, in production mode."""
    import kiosk_api

    config = Path(kiosk_api.__file__).with_name("gunicorn_conf.py")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "DONGXI_ENV": "production"}
    os.execve(str(gunicorn), [str(gunicorn), "--config", str(config)], env)


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group()
def audit() -> None:
    """Audits of the books (审计)."""


@audit.command("money")
@click.option("--period", default=None, help="check the statements of this month YYYY-MM only")
@pass_context
def audit_money(ctx: Context, period: str | None) -> None:
    """Check the money invariants (read-only): each PASS/FAIL with what breaks it; exit 1 on any FAIL."""
    from sales.money_audit import audit_money as run_audit
    from sales.money_audit_text import check_lines, summary_line

    try:
        with ctx.db.unit_of_work() as session:
            result = run_audit(
                session,
                ctx.clock,
                period=period,
                progress=click.echo,
                on_check=lambda check: click.echo("\n".join(check_lines(check, label=False))),
            )
            session.rollback()  # read-only: nothing to keep
    except DomainError as error:
        _fail(error)
    click.echo(summary_line(result))
    if not result.passed:
        sys.exit(1)


def _job_triggers() -> dict:
    from kiosk_api.jobs.registry import schedule

    try:
        return schedule(os.environ)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("worker")
@pass_context
def worker(ctx: Context) -> None:
    """Run the scheduled jobs in the foreground (`dongxi jobs list`) until SIGTERM or Ctrl-C; a log
    line per run. Run one or more beside the app servers: each job runs on one of them at a time."""

    from kiosk_api.jobs.scheduler import run_worker
    from kiosk_api.observability import configure_logging
    from kiosk_api.payments_ext import build_provider

    configure_logging()
    triggers = _job_triggers()
    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    run_worker(ctx.db, ctx.clock, provider, triggers)


@main.group()
def jobs() -> None:
    """The scheduled jobs, one at a time (`dongxi worker` runs them all on their schedule)."""


@jobs.command("list")
def jobs_list() -> None:
    """List the jobs with their schedule (as configured by DONGXI_JOB_<NAME>) and what each does."""
    from kiosk_api.jobs.registry import JOBS, env_name

    triggers = _job_triggers()
    for job in JOBS:
        trigger = triggers[job.name]
        click.echo(f"{job.name:<20} {trigger or 'off'!s:<30} {env_name(job):<31} {job.summary}")


@jobs.command("run")
@click.argument("name")
@pass_context
def jobs_run(ctx: Context, name: str) -> None:
    """Run one job once now (if no other server is running it) and print what it did; exit 1 if it
    failed or found errors."""
    from kiosk_api.jobs.registry import BY_NAME, run_job
    from kiosk_api.payments_ext import build_provider

    job = BY_NAME.get(name)
    if job is None:
        raise click.BadParameter(f"no job {name!r}; `dongxi jobs list` shows them", param_hint="NAME")
    provider = build_provider(ctx.settings, ctx.clock, ctx.db)
    run = run_job(job, ctx.db, ctx.clock, provider, trigger=_job_triggers()[job.name])
    click.echo(run.line())
    if not run.ok:
        sys.exit(1)
