"""``casefac defenders``: the Defender network, kept in the case record (names and emails sealed).

Reading falls back to the YAML roster file (``settings.roster_file``) while the record holds no Defender,
so a fresh install lists its sample roster; every change needs the record and ``--as``, and is kept in the
Defender's history. ``import``/``export`` speak the roster file's YAML and a CSV with a header row, and
round-trip: an export imported again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import TypeAdapter, ValidationError
from rich import box
from rich.markup import escape
from rich.table import Table

from casefac.parties import AwayPeriod, Defender, Service
from casefac.settings import Settings
from starters.cli_runtime import actor, console, err, fail, load_settings
from starters.parsing import InputError, parse_money_with_currency
from starters.record_access import open_records

if TYPE_CHECKING:
    from records.roster_store import RosterStore

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CountryOpt = Annotated[str | None, typer.Option(help="MX, GT, SV, HN or NI")]
StaffOpt = Annotated[str | None, typer.Option("--as", envvar="CASEFAC_STAFF_ID", show_envvar=True,
                                              help="Your staff id, e.g. coord.ana (kept in the history).")]
IdArg = Annotated[str, typer.Argument(help="Defender id, e.g. DEF-GT-001.", show_default=False)]

#: The CSV columns, in the order ``export`` writes them (``import`` reads them by name).
CSV_COLUMNS = ("id", "name", "email", "organization", "country", "languages", "services", "regions", "hourly_rate",
               "payout", "capacity", "active", "away")


# ------------------------------------------------------------------------------------------ input
def bad(message: str) -> NoReturn:
    fail(message, 2)


def invalid(exc: ValidationError, where: str = "") -> NoReturn:
    """One line naming the field (pydantic's location), never the value typed (it may be a name)."""
    first = exc.errors(include_url=False, include_input=False)[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")  # the model's own checks name their field first
    more = exc.error_count() - 1
    bad(f"{where}{location + ': ' if location else ''}{message}" + (f" (and {more} more)" if more > 0 else ""))


def split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def service_codes(text: str, field: str = "services") -> list[str]:
    """``"locate client, witness affidavit"`` or the codes themselves."""
    known = {s.value for s in Service}
    codes = [part.lower().replace(" ", "_").replace("-", "_") for part in split(text)]
    for code in codes:
        if code not in known:
            raise InputError(f"{field}: unknown service {code.replace('_', ' ')!r}; one of "
                             f"{', '.join(words(s) for s in Service)}")
    return codes


def payout_of(text: str) -> dict[str, str]:
    value = text.strip()
    if value.lower() == "manual":
        return {"kind": "manual"}
    if value.startswith("acct_"):
        return {"kind": "stripe_connect", "account_id": value}
    raise InputError(f"payout: {value!r} is neither 'manual' nor a Stripe Connect account id (acct_…)")


def capacity_of(text: str) -> int | None:
    value = text.strip().lower()
    if value in ("", "none", "-"):
        return None
    if not value.isdigit():
        raise InputError(f"capacity: {text!r} is not a whole number (or 'none' for no limit)")
    return int(value)


def flag_of(text: str, field: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "true", "1", "y"):
        return True
    if value in ("no", "false", "0", "n"):
        return False
    raise InputError(f"{field}: {text!r} is not yes or no")


def away_of(text: str) -> list[dict[str, str]]:
    """``2026-12-20..2027-01-06; 2027-03-01..2027-03-02`` (the CSV's away column)."""
    periods = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        starts, sep, ends = part.partition("..")
        if not sep:
            raise InputError(f"away: {part!r} is not FROM..TO (e.g. 2026-12-20..2027-01-06)")
        periods.append({"starts_on": starts.strip(), "ends_on": ends.strip()})
    return periods


def changes_from_flags(**flags: str | bool | None) -> dict[str, Any]:
    """The Defender fields the flags given set (None: not given)."""
    parsers = {"services": service_codes, "languages": split, "regions": split, "payout": payout_of,
               "capacity": capacity_of,
               "hourly_rate": lambda text: parse_money_with_currency(text).model_dump()}
    changes: dict[str, Any] = {}
    for name, value in flags.items():
        if value is None:
            continue
        try:
            changes[name] = parsers[name](value) if name in parsers and isinstance(value, str) else value
        except InputError as exc:
            flag = "rate" if name == "hourly_rate" else name
            raise InputError(str(exc) if str(exc).startswith(f"{name}:") else f"{flag}: {exc}") from None
    return changes


def read_defenders(path: Path) -> list[Defender]:
    """A roster file: YAML as ``settings.roster_file`` is written, or CSV with :data:`CSV_COLUMNS` as header."""
    from casefac.roster import parse_roster

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    if path.suffix.lower() == ".csv":
        return _csv_defenders(text)
    import yaml

    try:
        return parse_roster(text).defenders
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        bad(f"{path.name} is not valid YAML" + (f" (line {mark.line + 1})" if mark is not None else ""))
    except ValidationError as exc:
        invalid(exc, f"{path.name}: ")


def _csv_defenders(text: str) -> list[Defender]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "name", "email", "country", "services", "hourly_rate"} - set(reader.fieldnames or ())
    if missing:
        bad(f"the CSV header lacks {', '.join(sorted(missing))} (columns: {', '.join(CSV_COLUMNS)})")
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        bad(f"the CSV header has unknown columns {', '.join(sorted(unknown))} (columns: {', '.join(CSV_COLUMNS)})")
    defenders: list[Defender] = []
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            data: dict[str, Any] = {"id": cells["id"], "name": cells["name"], "email": cells["email"],
                                    "country": cells["country"].upper(),
                                    "services": service_codes(cells["services"]),
                                    "hourly_rate": parse_money_with_currency(cells["hourly_rate"]).model_dump()}
            if cells.get("organization"):
                data["organization"] = cells["organization"]
            if cells.get("languages"):
                data["languages"] = split(cells["languages"])
            if cells.get("regions"):
                data["regions"] = split(cells["regions"])
            if cells.get("payout"):
                data["payout"] = payout_of(cells["payout"])
            if cells.get("capacity"):
                data["capacity"] = capacity_of(cells["capacity"])
            if cells.get("active"):
                data["active"] = flag_of(cells["active"], "active")
            if cells.get("away"):
                data["away"] = away_of(cells["away"])
            defenders.append(Defender.model_validate(data, extra="forbid"))
        except InputError as exc:
            bad(f"line {number}, {exc}")
        except ValidationError as exc:
            invalid(exc, f"line {number}, ")
    ids = [d.id for d in defenders]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        bad(f"id: {', '.join(dupes)} appear more than once")
    return defenders


# ------------------------------------------------------------------------------------------ output
def words(service: Service | str) -> str:
    """A service as staff say it ("Locate the client"), from the labels the portal and emails use."""
    from casefac.labels import SERVICES

    code = str(service.value if isinstance(service, Service) else service)
    return SERVICES.get(code, code.replace("_", " "))


def roster_table(defenders: list[Defender], title: str, width: int = 80) -> Table:
    """Readable in 80 columns: ids and rates never wrap, names do; below 100 columns each service has its
    line and "Stripe Connect" is "Stripe" (Rich keeps a wrapped cell as wide as its text, crowding out a
    column)."""
    stripe, between = ("Stripe Connect", ", ") if width >= 100 else ("Stripe", "\n")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=0, show_edge=False)
    table.add_column("id", no_wrap=True)
    rates = [d.hourly_rate.format().replace(",", "") for d in defenders]
    # what the other columns take at most (their content, then 7 one-space gaps): the name gets the rest
    others = max((len(d.id) for d in defenders), default=2) + 4 + 24 + max(map(len, rates), default=4) + 6 + 4 + 6 + 7
    table.add_column("name", max_width=max(10, width - others) if width < 100 else None, overflow="fold")
    table.add_column("ctry", no_wrap=True)
    table.add_column("services", min_width=24 if width < 100 else None, overflow="fold")
    table.add_column("rate", no_wrap=True, justify="right")
    table.add_column("payout", overflow="fold")
    table.add_column("load", no_wrap=True, justify="right")
    table.add_column("active", no_wrap=True)
    for d, rate in zip(defenders, rates, strict=True):
        load = f"{d.open_cases}/{d.capacity}" if d.capacity is not None else f"{d.open_cases}"
        table.add_row(d.id, escape(d.name), d.country, between.join(words(s) for s in d.services),
                      rate, stripe if d.payout.kind == "stripe_connect" else "manual", load,
                      "yes" if d.active else "[red]no[/]")
    return table


def export_yaml(defenders: list[Defender]) -> str:
    import yaml

    entries = []
    for d in defenders:
        data = d.model_dump(mode="json", exclude={"open_cases"})
        entries.append({k: v for k, v in data.items() if v not in (None, [])})
    return yaml.safe_dump({"defenders": entries}, allow_unicode=True, sort_keys=False, width=120,
                          default_flow_style=None)


def export_csv(defenders: list[Defender]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in defenders:
        writer.writerow([d.id, d.name, d.email, d.organization or "", d.country, ",".join(d.languages),
                         ",".join(s.value for s in d.services), ",".join(d.regions),
                         f"{d.hourly_rate.currency} {d.hourly_rate.format().split(' ', 1)[1].replace(',', '')}",
                         getattr(d.payout, "account_id", "manual"), "" if d.capacity is None else d.capacity,
                         "yes" if d.active else "no",
                         "; ".join(f"{p.starts_on}..{p.ends_on}" for p in d.away)])
    return out.getvalue()


# ------------------------------------------------------------------------------------------ sources
def _file_note(settings: Settings, why: str) -> None:
    err.print(f"[dim]note: {escape(why)}; the roster is read from {escape(str(settings.roster_file))}. "
              f"To keep it in the record: casefac defenders import {escape(str(settings.roster_file))} "
              "--as <staff id>[/]")


def _from_file(settings: Settings) -> list[Defender]:
    import yaml

    from casefac.roster import parse_roster

    try:
        return parse_roster(settings.roster_file.read_text(encoding="utf-8")).defenders
    except OSError as exc:
        fail(f"cannot read the roster {settings.roster_file}: {exc.strerror}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        fail(f"the roster {settings.roster_file} is not valid YAML" + (f" (line {mark.line + 1})" if mark else ""))
    except ValidationError as exc:
        invalid(exc, f"the roster {settings.roster_file}: ")


@contextmanager
def roster_source(settings: Settings, *, quiet: bool = False) -> Iterator[tuple[RosterStore | None, dict[str, int]]]:
    """The record's roster and open cases, or (None, counts) when reading must fall back to the file (said on
    stderr unless ``quiet``: commands whose output is about something else stay one line)."""
    note = (lambda *_: None) if quiet else _file_note
    from sqlalchemy import inspect

    from casefac.keyring import KeyRing, KeyRingError
    from records.database import schema_problem
    from records.roster_store import RosterStore, open_case_counts

    try:
        KeyRing.load(settings.keyring_path)
    except KeyRingError:
        # No key ring, no record to read (its names are sealed): as before the record, the file is the roster.
        note(settings, f"no key ring at {settings.keyring_path}, so no case record")
        yield None, {}
        return
    with open_records(settings, need_schema=False) as records:
        tables = set(inspect(records.engine).get_table_names())
        counts = open_case_counts(records.engine) if "cases" in tables else {}
        if "roster_defenders" not in tables:
            problem = schema_problem(records.engine)
            note(settings, "the case record has no roster yet" +
                       (" (run `casefac records migrate`)" if problem and "cases" in tables else ""))
            yield None, counts
            return
        store = RosterStore(records.engine, records.sealer)
        if store.is_empty():
            note(settings, "the case record holds no Defender yet")
            yield None, counts
            return
        yield store, counts


@contextmanager
def writable_store(settings: Settings) -> Iterator[RosterStore]:
    from records.roster_store import RosterStore

    with open_records(settings) as records:  # a schema behind this code is one line naming the command
        yield RosterStore(records.engine, records.sealer)


def current_defenders(settings: Settings, country: str | None = None, *, quiet: bool = False) -> list[Defender]:
    with roster_source(settings, quiet=quiet) as (store, counts):
        chosen = store.list(country=country) if store is not None else [
            d for d in _from_file(settings) if country is None or d.country == country]
        return [d.model_copy(update={"open_cases": counts.get(d.id, 0)}) for d in chosen]


def _country(country: str | None) -> str | None:
    if country is None:
        return None
    upper = country.strip().upper()
    if upper not in ("MX", "GT", "SV", "HN", "NI"):
        bad(f"country: {country!r} is not one of MX, GT, SV, HN, NI")
    return upper


def _list(country: str | None, as_json: bool) -> None:
    settings = load_settings()
    code = _country(country)
    chosen = current_defenders(settings, code)
    if as_json:
        console.print_json(json.dumps([d.model_dump(mode="json") for d in chosen]))
        return
    title = f"{len(chosen)} Defender(s)" + (f" in {code}" if code else "")
    console.print(roster_table(chosen, title, console.width), soft_wrap=False)


@contextmanager
def _changing() -> Iterator[None]:
    """Store refusals as one line: the field first, exit 2 for bad values, 1 for an unknown Defender."""
    from records.roster_store import DefenderExists, RosterValueError, UnknownDefender

    try:
        yield
    except InputError as exc:
        bad(str(exc))
    except ValidationError as exc:
        invalid(exc)
    except (RosterValueError, DefenderExists) as exc:
        bad(str(exc))
    except UnknownDefender as exc:
        fail(f"{exc.args[0]} (`casefac defenders list` shows who is there)")


# ------------------------------------------------------------------------------------------ commands
def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The Defender roster: who can take a case where, their load, and its history.",
                        rich_markup_mode="rich")
    app.add_typer(group, name="defenders")

    @group.callback(invoke_without_command=True)
    def defenders(ctx: typer.Context, country: CountryOpt = None, as_json: JsonOpt = False) -> None:
        """The Defender roster (the case record's, else settings.roster_file): who can take a case where."""
        if ctx.invoked_subcommand is None:
            _list(country, as_json)

    @group.command("list")
    def list_(country: CountryOpt = None, as_json: JsonOpt = False) -> None:
        """Every Defender (inactive ones too) with their services, rate, payout and open cases/capacity."""
        _list(country, as_json)

    @group.command()
    def show(defender_id: IdArg, as_json: JsonOpt = False) -> None:
        """One Defender: every field, away periods with reasons, and who changed what when."""
        settings = load_settings()
        with roster_source(settings) as (store, counts):
            if store is None:
                found = next((d for d in _from_file(settings) if d.id == defender_id), None)
                away, history = [], []
            else:
                found = store.get(defender_id)
                away = store.away_periods(defender_id) if found else []
                history = store.changes(defender_id) if found else []
        if found is None:
            fail(f"no Defender {defender_id} in the roster (`casefac defenders list` shows who is there)")
        found = found.model_copy(update={"open_cases": counts.get(found.id, 0)})
        if as_json:
            console.print_json(json.dumps({"defender": found.model_dump(mode="json"),
                                           "away": [a.model_dump(mode="json") for a in away],
                                           "history": [c.model_dump(mode="json") for c in history]}))
            return
        _show(found, away, history)

    @group.command()
    def add(
        file: Annotated[Path | None, typer.Option("-f", "--file", help="YAML with one Defender (the roster "
                                                  "file's fields).")] = None,
        defender_id: Annotated[str | None, typer.Option("--id", help="e.g. DEF-GT-004")] = None,
        name: Annotated[str | None, typer.Option()] = None,
        email: Annotated[str | None, typer.Option()] = None,
        country: CountryOpt = None,
        services: Annotated[str | None, typer.Option(help="e.g. \"locate client, document collection\"")] = None,
        rate: Annotated[str | None, typer.Option(help="Hourly rate, e.g. \"USD 45.00\"")] = None,
        languages: Annotated[str | None, typer.Option(help="e.g. es,en (default es)")] = None,
        organization: Annotated[str | None, typer.Option()] = None,
        regions: Annotated[str | None, typer.Option(help="e.g. \"Alta Verapaz,Petén\" (default: the whole "
                                                    "country)")] = None,
        capacity: Annotated[str | None, typer.Option(help="Most cases at once (default: no limit)")] = None,
        payout: Annotated[str | None, typer.Option(help="acct_… (Stripe Connect) or manual")] = None,
        staff: StaffOpt = None,
    ) -> None:
        """Add a Defender to the roster, from flags or ``-f defender.yaml``."""
        who = actor(staff)
        settings = load_settings()
        with _changing():
            if file is not None:
                defender = _one_from_yaml(file)
            else:
                data = changes_from_flags(services=services, languages=languages, regions=regions, payout=payout,
                                          capacity=capacity, hourly_rate=rate)
                data |= {k: v for k, v in {"id": defender_id, "name": name, "email": email,
                                           "country": country.upper() if country else None,
                                           "organization": organization}.items() if v is not None}
                for needed in ("id", "name", "email", "country", "services", "hourly_rate"):
                    if needed not in data:
                        bad(f"{needed}: required (--{'rate' if needed == 'hourly_rate' else needed}, "
                            "or -f defender.yaml)")
                defender = Defender.model_validate(data, extra="forbid")
            with writable_store(settings) as store:
                store.add(defender, by=who.id)
        console.print(f"added {defender.id} ({defender.country}) to the roster")

    @group.command()
    def update(
        defender_id: IdArg,
        name: Annotated[str | None, typer.Option()] = None,
        email: Annotated[str | None, typer.Option()] = None,
        organization: Annotated[str | None, typer.Option()] = None,
        country: CountryOpt = None,
        services: Annotated[str | None, typer.Option(help="The whole list, e.g. \"locate client, witness "
                                                     "affidavit\"")] = None,
        languages: Annotated[str | None, typer.Option(help="e.g. es,en")] = None,
        regions: Annotated[str | None, typer.Option(help="The whole list; \"\" for the whole country")] = None,
        rate: Annotated[str | None, typer.Option(help="e.g. \"USD 45.00\"")] = None,
        capacity: Annotated[str | None, typer.Option(help="Most cases at once; none for no limit")] = None,
        payout: Annotated[str | None, typer.Option(help="acct_… or manual")] = None,
        active: Annotated[bool | None, typer.Option("--active/--inactive", help="Take cases or not.")] = None,
        staff: StaffOpt = None,
    ) -> None:
        """Change some of a Defender's fields; the history keeps which, by whom, before and after."""
        who = actor(staff)
        settings = load_settings()
        with _changing():
            changes = changes_from_flags(services=services, languages=languages, regions=regions, payout=payout,
                                         capacity=capacity, hourly_rate=rate)
            changes |= {k: v for k, v in {"name": name, "email": email, "organization": organization,
                                          "country": country.upper() if country else None,
                                          "active": active}.items() if v is not None}
            if not changes:
                bad("nothing to change: pass at least one of --capacity, --regions, --services, --languages, "
                    "--email, --rate, --payout, …")
            with writable_store(settings) as store:
                changed = store.update(defender_id, changes, by=who.id)
        console.print(f"{defender_id}: " + (f"changed {', '.join(changed)}" if changed else "nothing changed"))

    @group.command()
    def deactivate(defender_id: IdArg, staff: StaffOpt = None) -> None:
        """Offer the Defender no new case (their cases go on; ``update --active`` brings them back)."""
        who = actor(staff)
        with _changing(), writable_store(load_settings()) as store:
            changed = store.deactivate(defender_id, by=who.id)
        console.print(f"{defender_id}: " + ("deactivated" if changed else "already inactive"))

    @group.command()
    def away(
        defender_id: IdArg,
        starts_on: Annotated[str | None, typer.Option("--from", help="First day away, e.g. 2026-12-20")] = None,
        ends_on: Annotated[str | None, typer.Option("--to", help="Last day away, e.g. 2027-01-06")] = None,
        reason: Annotated[str | None, typer.Option(help="Kept sealed in the record.")] = None,
        clear: Annotated[bool, typer.Option("--clear", help="Remove the period starting --from (every period "
                                            "without --from).")] = False,
        staff: StaffOpt = None,
    ) -> None:
        """Days the Defender takes no new case (both included), or ``--clear`` them."""
        who = actor(staff)
        first = _day(starts_on, "from") if starts_on else None
        with _changing(), writable_store(load_settings()) as store:
            if clear:
                removed = store.clear_away(defender_id, first, by=who.id)
                console.print(f"{defender_id}: {removed} away period(s) removed")
                return
            if first is None or not ends_on:
                bad("from: --from and --to are both needed (or --clear)")
            last = _day(ends_on, "to")
            store.away(defender_id, first, last, reason, by=who.id)
        console.print(f"{defender_id}: away {first} to {last}")

    @group.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(help="roster.yaml (the roster file's format) or .csv with a header "
                                             "row", show_default=False)],
        staff: StaffOpt = None,
    ) -> None:
        """Add or update the file's Defenders (others stay as they are); the same file twice changes nothing."""
        who = actor(staff)
        defenders = read_defenders(file)
        with _changing(), writable_store(load_settings()) as store:
            result = store.import_roster(defenders, by=who.id)
        console.print(f"imported {file.name}: {len(result.added)} added, {len(result.updated)} updated, "
                      f"{len(result.unchanged)} unchanged")
        if result.updated:
            console.print(f"updated: {', '.join(result.updated)}")

    @group.command()
    def export(
        output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: print).")] = None,
        fmt: Annotated[str | None, typer.Option("--format", help="yaml or csv (default: from -o's suffix, "
                                                "else yaml)")] = None,
    ) -> None:
        """The roster as YAML or CSV, ready for ``import`` (away reasons stay in the record)."""
        chosen = (fmt or (output.suffix.lstrip(".") if output else "") or "yaml").lower()
        if chosen not in ("yaml", "yml", "csv"):
            bad(f"format: {chosen!r} is not yaml or csv")
        defenders = current_defenders(load_settings())
        text = export_csv(defenders) if chosen == "csv" else export_yaml(defenders)
        if output is None:
            console.out(text, end="", highlight=False)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
        err.print(f"wrote {len(defenders)} Defender(s) to {escape(str(output))}")


def _day(text: str, field: str) -> date:
    try:
        return TypeAdapter(date).validate_python(text.strip())
    except ValidationError:
        bad(f"{field}: {text!r} is not a date like 2026-12-20")


def _one_from_yaml(path: Path) -> Defender:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    except yaml.YAMLError:
        bad(f"{path.name} is not valid YAML")
    if isinstance(data, dict) and isinstance(data.get("defenders"), list) and len(data["defenders"]) == 1:
        data = data["defenders"][0]  # a one-Defender roster file is fine too
    if not isinstance(data, dict):
        bad(f"{path.name}: one Defender's fields (id, name, email, country, services, hourly_rate…)")
    return Defender.model_validate(data, extra="forbid")


def _show(d: Defender, away: list[Any], history: list[Any]) -> None:
    rows = [("id", d.id), ("name", d.name), ("email", d.email), ("organization", d.organization or "—"),
            ("country", d.country), ("regions", ", ".join(d.regions) or "the whole country"),
            ("languages", ", ".join(d.languages)), ("services", ", ".join(words(s) for s in d.services)),
            ("hourly rate", d.hourly_rate.format()),
            ("payout", f"Stripe Connect {d.payout.account_id}" if d.payout.kind == "stripe_connect" else "manual"),
            ("capacity", str(d.capacity) if d.capacity is not None else "no limit"),
            ("open cases", str(d.open_cases)), ("active", "yes" if d.active else "no")]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, escape(value))
    console.print(table)
    periods = away or [AwayPeriod(starts_on=p.starts_on, ends_on=p.ends_on) for p in d.away]
    console.print(f"\n[bold]away[/] ({len(periods)})")
    for p in periods:
        why = getattr(p, "reason", None)
        console.print(f"  {p.starts_on} to {p.ends_on}" + (f": {escape(why)}" if why else ""))
    console.print(f"\n[bold]history[/] ({len(history)})")
    for change in history:
        console.print(f"  {change.at:%Y-%m-%d %H:%M} UTC  {escape(change.by)}  {change.action}: "
                      f"{escape(', '.join(change.fields))}")
