"""The hub's tables: accounts, requests and the read model the workflow keeps current."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

# Each table's ``id: Serial`` is the primary key Piccolo adds to a table that declares none; it is
# only declared (an annotation, no column), so that type checkers know it.


class Enterprise(Table):
    """An enterprise as the registries know it ("one file per enterprise")."""

    id: Serial

    uscc = Varchar(length=18, unique=True)
    name = Varchar(length=200)
    # A person's name: sealed (encrypted) at rest, see hub/sealing.py.
    legal_representative = Varchar(length=200)
    industry = Varchar(length=64)
    district = Varchar(length=64)
    founded_on = Date()
    registered_capital = Integer()  # CNY
    employees = Integer()
    insured_employees = Integer()
    tax_credit_rating = Varchar(length=2)  # A, B, M, C, D
    # active | abnormal (on the list of abnormal operations) | deregistered
    status = Varchar(length=20)
    labels = JSON(default="[]")
    # small-scale | general taxpayer (the tax bureau's bracket)
    tax_bracket = Varchar(length=20, default="small-scale")
    # The settlement account subsidies are paid into; a closed one refuses payments.
    bank_account = Varchar(length=34, default="")
    bank_account_status = Varchar(length=20, default="open")


class Account(Table):
    """A person who signs in: a citizen, or staff of a department."""

    id: Serial

    username = Varchar(length=64, unique=True)
    # Sealed (encrypted) at rest, see hub/sealing.py.
    full_name = Varchar(length=600)
    # citizen | enterprise | clerk | supervisor | admin | auditor
    role = Varchar(length=20)
    department = Varchar(length=64, null=True, default=None)
    # For enterprise accounts: the enterprise the person acts for.
    enterprise = ForeignKey(references=Enterprise, null=True, default=None)
    # Enterprise accounts: "preparer" prepares requests, "approver" (the legal representative)
    # submits them. None (the synthetic population's accounts are made without one) counts as approver.
    enterprise_role = Varchar(length=20, null=True, default=None)
    # Sealed (encrypted) at rest, see hub/sealing.py.
    resident_id = Varchar(length=200, null=True, default=None)
    password_hash = Varchar(length=200)
    locale = Varchar(length=10, default="zh_CN")
    # Staff away from the office: tasks that would come to them go to this colleague instead.
    delegate: ForeignKey[Account] = ForeignKey(references="self", null=True, default=None)
    created_at = Timestamptz()


class ApiSession(Table):
    """A bearer token; only its SHA-256 is stored."""

    id: Serial

    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class ApiToken(Table):
    """A token for a department system: scoped, expiring, revocable; only its SHA-256 is stored.

    It acts as its own account (role "system", the token's department), so what it does is
    attributed to it in task histories and the audit trail.
    """

    id: Serial

    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, index=True)
    department = Varchar(length=64)
    scopes = JSON(default="[]")
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class SignInThrottle(Table):
    """Failed sign-ins counted per username and per client address ("user:<keyed digest of the
    name>", "addr:<ip>")."""

    id: Serial

    scope = Varchar(length=120, unique=True)
    failures = Integer(default=0)
    window_start = Timestamptz()
    locked_until = Timestamptz(null=True, default=None)


class ServiceRequest(Table):
    """A filed request. Its workflow id is ``request-<ref>``."""

    id: Serial

    ref = Varchar(length=32, unique=True)  # type: ignore[assignment]  # a column named like a Table method, as stored
    workflow_id = Varchar(length=64, unique=True)
    service_id = Varchar(length=64, index=True)
    service_version = Integer()
    applicant = ForeignKey(references=Account, index=True)
    # "<applicant id>:<Idempotency-Key>", so a repeated submission finds the first one.
    idempotency_scope = Varchar(length=200, unique=True)
    payload_hash = Varchar(length=64)
    # prepared (by an enterprise's preparer, not started) | submitted | in_review | waiting_applicant
    # | approved | rejected | withdrawn
    state = Varchar(length=20, index=True)
    # Who submitted a prepared request (the enterprise's approver).
    submitted_by = ForeignKey(references=Account, null=True, default=None)
    # A step missed its time limit (escalated to the department's supervisor).
    overdue = Boolean(default=False)
    answers = JSON()
    rule_results = JSON()
    # Results of the route's automatic checks, and the amount granted (for subsidies, CNY).
    check_results = JSON(default="[]")
    amount = Varchar(length=24, null=True, default=None)
    # The amount the formula gives for the answers as filed: decides whether an approval needs a second clerk.
    expected_amount = Varchar(length=24, null=True, default=None)
    locale = Varchar(length=10)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    # Set when retention removed the personal answers of a long-closed request.
    anonymised_at = Timestamptz(null=True, default=None)
    # A part of a life event's application: filed by the case's workflow, not by the sweep.
    life_event_case = Integer(null=True, default=None, index=True)


class ReviewTask(Table):
    """One department's review of one stage of a request: a row in that department's inbox."""

    id: Serial

    key = Varchar(length=200, unique=True)
    request = ForeignKey(references=ServiceRequest, index=True)
    stage_id = Varchar(length=64)
    stage_title = Varchar(length=200)
    department = Varchar(length=64, index=True)
    # Copied from the request so inboxes filter without a join.
    service_id = Varchar(length=64, default="")
    applicant_type = Varchar(length=20, default="citizen")
    # open | claimed | waiting_applicant | awaiting_confirmation | approved | rejected | cancelled | transferred
    state = Varchar(length=32, index=True)
    assignee = ForeignKey(references=Account, null=True, default=None, index=True)
    opened_at = Timestamptz()
    # The time limit: moved on while the clock is paused (waiting for the applicant).
    due_at = Timestamptz()
    remind_at = Timestamptz(null=True, default=None)
    reminded = Boolean(default=False)
    escalated = Boolean(default=False)
    # Planned across a year whose national holiday schedule was not known: a guess (Monday to
    # Friday less the fixed-date holidays), kept as planned when the schedule is published later
    # (hub/sla/calendar.py).
    provisional = Boolean(default=False)
    paused_at = Timestamptz(null=True, default=None)
    # Set by a rejection (a reason code) or a request for more information (fields and message).
    reason_code = Varchar(length=40, default="")
    requested_fields = JSON(default="[]")
    request_message = Text(default="")
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(references=Account, null=True, default=None)
    comment = Text(default="")


class TimelineEntry(Table):
    """A step in a request's history; ``kind`` is a code that is translated when shown."""

    id: Serial

    key = Varchar(length=250, unique=True)
    request = ForeignKey(references=ServiceRequest, index=True)
    kind = Varchar(length=40)
    at = Timestamptz()
    stage_id = Varchar(length=64, null=True, default=None)
    department = Varchar(length=64, null=True, default=None)
    detail = Text(default="")


class Document(Table):
    """An issued document: metadata and signed facts here, the bytes in the content-addressed store.

    A row is written (number allocated, facts signed) before the PDF is rendered; ``sha256`` is
    empty until the PDF is stored, so a retried issue completes the same document. A document made
    on its first download (see ``hub.documents.issuer``) is issued with its row: ``content`` keeps
    what it says, sealed, until its PDF is made.
    """

    id: Serial

    key = Varchar(length=200, unique=True)
    request = ForeignKey(references=ServiceRequest, index=True)
    kind = Varchar(length=40)
    locale = Varchar(length=10)
    # The PDF's SHA-256 (as its holder can check it), and where the store keeps it sealed: the
    # SHA-256 of the sealed bytes. Both are empty until the PDF is stored, and set together.
    sha256 = Varchar(length=64, index=True)
    stored_as = Varchar(length=64, default="")
    size = Integer()
    media_type = Varchar(length=100, default="application/pdf")
    issued_at = Timestamptz()
    # The issuing department, its document number, and the code anyone can verify the document by.
    department = Varchar(length=64, default="")
    # Both unique (indexes made by the migration: SQLite cannot add a UNIQUE column to a table).
    number = Varchar(length=64, null=True, default=None)
    verification_code = Varchar(length=16, null=True, default=None)
    facts = Text(default="{}")
    # What a document made on its first download says (its rendered facts, sealed); empty otherwise.
    content = Text(default="")
    key_id = Varchar(length=40, default="")
    signature = Text(default="")
    # valid | revoked | superseded
    status = Varchar(length=20, default="valid")
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(references=Account, null=True, default=None)
    # Why, as the public may read it: a category code (hub.documents.issuer.REVOCATION_CATEGORIES).
    revocation_category = Varchar(length=40, default="")
    # Why, in the issuing department's own words (sealed; may name people): never shown publicly.
    revocation_reason = Text(default="")
    # Set when a corrected document replaces this one (status "superseded").
    superseded_by = Varchar(length=200, null=True, default=None)

    def is_issued(self) -> bool:
        """Issued: its PDF is stored, or it is a document whose PDF is made on its first download
        (not while a PDF issued with the document is still being rendered)."""
        return bool(self.sha256 or self.content)


class DocumentSequence(Table):
    """The last document number a department used in a year ("<department>:<year>")."""

    id: Serial

    scope = Varchar(length=80, unique=True)
    last = Integer(default=0)


class Upload(Table):
    """A file an applicant uploaded for a form; the answer refers to it by ``token``. Its bytes are
    stored sealed (hub/sealing.py), the token bound in."""

    id: Serial

    token = Varchar(length=40, unique=True)
    owner = ForeignKey(references=Account, index=True)
    sha256 = Varchar(length=64)
    media_type = Varchar(length=100)
    size = Integer()
    # Shown to people only; never used as a path.
    filename = Varchar(length=200, default="")
    created_at = Timestamptz()


class Supplement(Table):
    """More information from the applicant, answering a clerk's request; applied by the workflow."""

    id: Serial

    token = Varchar(length=40, unique=True)
    request = ForeignKey(references=ServiceRequest, index=True)
    answers = JSON()
    # Filing's checks run again on the answers with this supplement: the rule results and the
    # expected amount they gave replace the request's when the supplement is applied.
    rule_results = JSON(null=True, default=None)
    expected_amount = Varchar(length=24, null=True, default=None)
    created_at = Timestamptz()
    applied_at = Timestamptz(null=True, default=None)


class AuditEvent(Table):
    """Who saw or changed what, when, and from where. Append-only and hash-chained (hub/audit.py):
    each event carries the hash of the one before it."""

    id: Serial

    at = Timestamptz()
    actor = ForeignKey(references=Account, null=True, default=None, index=True)
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=40)
    object_id = Varchar(length=64)
    # The request an event concerns, so a request's whole trail is one lookup.
    request_ref = Varchar(length=32, null=True, default=None, index=True)
    remote_addr = Varchar(length=64, default="")
    detail = JSON(default="{}")
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class AuditHead(Table):
    """The last event of the audit chain (one row): deleting events at the end is detected too,
    and on PostgreSQL locking this row serialises writers of the chain."""

    id: Serial

    last_id = Integer(default=0)
    last_hash = Varchar(length=64, default="")
    count = Integer(default=0)  # type: ignore[assignment]  # a column named like a Table method, as stored


# Subsidies ------------------------------------------------------------------------------------
# Money is kept in integer cents (fen), so sums in SQL are exact on every engine.


class Program(Table):
    """A published subsidy program, its spec, and its budget's running totals."""

    id: Serial

    code = Varchar(length=64, unique=True)
    spec = JSON()
    mode = Varchar(length=20)
    period = Varchar(length=20)
    service_id = Varchar(length=64)
    # draft | published | closed
    status = Varchar(length=20, default="published")
    budget_cents = BigInt()
    # Held for claims under way, and paid out; budget - reserved - paid is what is left.
    reserved_cents = BigInt(default=0)
    paid_cents = BigInt(default=0)
    published_at = Timestamptz()
    published_by = ForeignKey(references=Account, null=True, default=None)
    # Matching: when the last run finished and what it found.
    matched_at = Timestamptz(null=True, default=None)
    matched_eligible = Integer(default=0)
    matched_total = Integer(default=0)


class ProgramMatch(Table):
    """One enterprise evaluated against one program: why it qualifies (or nearly does)."""

    id: Serial

    key = Varchar(length=100, unique=True)  # <program>:<enterprise id>
    program = ForeignKey(references=Program, index=True)
    enterprise = ForeignKey(references=Enterprise, index=True)
    eligible = Boolean(default=False, index=True)
    near = Boolean(default=False)
    results = JSON(default="[]")
    amount_cents = BigInt(default=0)
    evaluated_at = Timestamptz()


class Claim(Table):
    """An enterprise's claim on a program. Its request carries the timeline and documents."""

    id: Serial

    ref = Varchar(length=32, unique=True)  # type: ignore[assignment]  # a column named like a Table method, as stored
    workflow_id = Varchar(length=64, unique=True)
    program = ForeignKey(references=Program, index=True)
    enterprise = ForeignKey(references=Enterprise, index=True)
    # None while the claim is only offered (apply-free) and not yet taken up.
    request = ForeignKey(references=ServiceRequest, null=True, default=None, index=True)
    # Who submitted (None: offered or paid automatically).
    submitted_by = ForeignKey(references=Account, null=True, default=None)
    # One claim per enterprise per program period: <program>:<enterprise>:<period>. A refused or
    # failed claim gives the scope up (suffixing its ref), so the enterprise may claim again.
    scope = Varchar(length=120, unique=True)
    # offered | submitted | checking | reviewing | approved | paid | refused | failed
    state = Varchar(length=20, index=True)
    amount_cents = BigInt(default=0)
    reason_code = Varchar(length=40, default="")
    payment_ref = Varchar(length=100, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)


class BudgetReservation(Table):
    """Money held from a program's budget for one claim, until it is paid or released."""

    id: Serial

    key = Varchar(length=100, unique=True)
    program = ForeignKey(references=Program, index=True)
    claim = ForeignKey(references=Claim, index=True)
    amount_cents = BigInt()
    # held | consumed | released
    state = Varchar(length=20, index=True)
    created_at = Timestamptz()
    settled_at = Timestamptz(null=True, default=None)


class LedgerAccount(Table):
    """A double-entry account: the treasury, a program's budget, an enterprise's receipts."""

    id: Serial

    code = Varchar(length=100, unique=True)
    name = Varchar(length=200)
    # The sum of the account's entries, kept with every posting in the same transaction, so a
    # payment need not add up all the program's earlier ones. Reconciliation checks it daily.
    balance_cents = BigInt(default=0)


class LedgerTransaction(Table):
    """One movement of money; its entries sum to zero. The key refuses a second payment."""

    id: Serial

    idempotency_key = Varchar(length=120, unique=True)
    kind = Varchar(length=20)  # funding | payment
    reference = Varchar(length=100, default="", index=True)  # e.g. the claim's ref
    amount_cents = BigInt()
    created_at = Timestamptz()


class LedgerEntry(Table):
    id: Serial
    transaction = ForeignKey(references=LedgerTransaction, index=True)
    account = ForeignKey(references=LedgerAccount, index=True)
    # Positive: credit to the account; negative: debit.
    amount_cents = BigInt()


class ReconciliationReport(Table):
    """The daily comparison of the ledger with the claims, and every difference found."""

    id: Serial

    day = Date(unique=True)
    created_at = Timestamptz()
    claims_paid = Integer()
    ledger_payments = Integer()
    paid_cents = BigInt()
    ledger_cents = BigInt()
    differences = JSON(default="[]")


class Draft(Table):
    """A form an applicant started and saved, to finish later (one per applicant and service, or
    per applicant and life event)."""

    id: Serial

    # "<account id>:<service id>", "<account id>:claim:<program code>" (hub.requests.drafts), or
    # "<account id>:life-event:<life event id>" (hub.life_events.drafts)
    scope = Varchar(length=120, unique=True)
    account = ForeignKey(references=Account, index=True)
    # Whose form it is (hub.requests.drafts.DraftKind): "service" (a claim's form is its program's
    # service's) or "life_event" (the one form of a life event).
    kind = Varchar(length=16, default="service")
    # The service's id and version, or for a life event's draft the life event's.
    service_id = Varchar(length=64)
    service_version = Integer()
    # The answers so far, personal ones sealed; a life event's draft keeps its one form's answers and
    # the optional parts ticked: {"answers": {...}, "parts": [...]} (hub.life_events.drafts).
    answers = JSON(default="{}")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Rating(Table):
    """The applicant's rating of a completed request: 1 to 5, with an optional comment."""

    id: Serial

    request = ForeignKey(references=ServiceRequest, unique=True)
    account = ForeignKey(references=Account, index=True)
    score = Integer()
    comment = Text(default="")
    created_at = Timestamptz()
    # A supervisor upheld the department's appeal (the applicant was ineligible by law, say): the
    # rating stays on record but is left out of every figure (hub/feedback counts ratings).
    excluded = Boolean(default=False)


class WorkingCalendarYear(Table):
    """A year's national holidays and make-up working days as an administrator published them
    (``forms.working_days.YearCalendar`` as JSON); it wins over the catalog's file of that year."""

    id: Serial

    year = Integer(unique=True)
    content = JSON()
    published_at = Timestamptz()
    published_by = ForeignKey(references=Account, null=True, default=None)


class Resident(Table):
    """The embedded population registry: a person as the city's household registration holds them.

    Found by ``resident_key`` (a keyed digest of the resident identity number), so the number itself
    stays sealed. A city replaces this with its own registry behind ``PopulationRegistry``."""

    id: Serial

    resident_key = Varchar(length=80, unique=True)
    resident_id = Varchar(length=200)  # sealed
    full_name = Varchar(length=600)  # sealed
    born_on = Date()
    # Household registration (hukou) in the city.
    hukou_local = Boolean(default=True)
    died_on = Date(null=True, default=None)
    moved_out_on = Date(null=True, default=None)
    updated_at = Timestamptz()


class Entitlement(Table):
    """An approved benefit: who is paid what, how, from when; paid by the benefit's cycles."""

    id: Serial

    # One entitlement per approved request (``request:<id>``), or per record carried over
    # into the register from an earlier system (``register:<...>``).
    key = Varchar(length=200, unique=True)
    service_id = Varchar(length=64, index=True)
    service_version = Integer()
    # The beneficiary: their resident key (see Resident), identity number and name sealed.
    holder_key = Varchar(length=80, index=True)
    resident_id = Varchar(length=200)
    full_name = Varchar(length=600)
    # Who follows it online (the applicant), when there is an account.
    account = ForeignKey(references=Account, null=True, default=None, index=True)
    request = ForeignKey(references=ServiceRequest, null=True, default=None, index=True)
    kind = Varchar(length=20)  # monthly | one_off
    # The formulas of the service version granted, and the answers they read (sealed JSON).
    amount_formula = Text()
    band_formula = Text(default="")
    maximum_cents = BigInt()
    inputs = Text(default="{}")
    amount_cents = BigInt()
    band = Varchar(length=20, default="")
    payment_method = Varchar(length=40, default="bank")
    payee_account = Varchar(length=200, default="")  # sealed
    payment_day = Integer(default=10)
    start_period = Varchar(length=7)  # YYYY-MM
    # active | suspended | ended; the reason of the last change (its history in EntitlementChange).
    state = Varchar(length=20, index=True)
    reason = Text(default="")
    ended_on = Date(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class EntitlementChange(Table):
    """One change of an entitlement, with its reason: what the beneficiary is told, and the record."""

    id: Serial

    key = Varchar(length=200, unique=True)
    entitlement = ForeignKey(references=Entitlement, index=True)
    # granted | amount_changed | suspended | resumed | ended
    kind = Varchar(length=20)
    at = Timestamptz()
    period = Varchar(length=7, default="")
    from_state = Varchar(length=20, default="")
    to_state = Varchar(length=20, default="")
    from_cents = BigInt(null=True, default=None)
    to_cents = BigInt(null=True, default=None)
    from_band = Varchar(length=20, default="")
    to_band = Varchar(length=20, default="")
    # A reason code (death, moved-out, age-band, ...) and the words of whoever made the change.
    reason_code = Varchar(length=40, default="")
    reason = Text(default="")
    # The clerk (or supervisor) who made it; none when a cycle did.
    made_by = ForeignKey(references=Account, null=True, default=None)
    confirmed_by = ForeignKey(references=Account, null=True, default=None)


class PaymentCycle(Table):
    """One benefit's payments for one period: its runs, and its totals once a run finishes."""

    id: Serial

    key = Varchar(length=120, unique=True)  # <service id>:<period>
    service_id = Varchar(length=64, index=True)
    period = Varchar(length=7)
    state = Varchar(length=20)  # running | finished
    runs = Integer(default=0)
    # The workflow run that counted itself last: a repeated start of the same run counts once.
    last_run = Varchar(length=120, default="")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    started_by = ForeignKey(references=Account, null=True, default=None)
    paid = Integer(default=0)
    paid_cents = BigInt(default=0)
    refused = Integer(default=0)
    set_aside = Integer(default=0)
    ended = Integer(default=0)
    changed = Integer(default=0)
    overpaid = Integer(default=0)
    overpaid_cents = BigInt(default=0)


class BenefitPayment(Table):
    """What one entitlement was paid (or why not) for one period: one row per entitlement and period."""

    id: Serial

    key = Varchar(length=120, unique=True)  # <entitlement id>:<period>
    entitlement = ForeignKey(references=Entitlement, index=True)
    cycle = ForeignKey(references=PaymentCycle, null=True, default=None, index=True)
    service_id = Varchar(length=64)
    period = Varchar(length=7, index=True)
    amount_cents = BigInt(default=0)
    # paid | refused (by the bank) | set_aside (the hub could not assess it; retried by a re-run)
    state = Varchar(length=20, index=True)
    payment_ref = Varchar(length=40, default="")
    reason = Text(default="")
    paid_at = Timestamptz(null=True, default=None)
    # Paid for a period after the beneficiary's death: to be recovered (a receivable in the ledger).
    overpaid = Boolean(default=False)
    recovery_ref = Varchar(length=40, default="")


class OpenApplication(Table):
    """The one application a holder may have open for a service that is granted once per holder
    (``once_per``): the unique scope makes two parallel filings one. A later filing takes the row
    over only once the request it names is closed and no entitlement of it is in force."""

    id: Serial

    scope = Varchar(length=200, unique=True)  # <service id>:<holder key>[:<year>]
    request = ForeignKey(references=ServiceRequest, index=True)
    created_at = Timestamptz()


class LifeEventCase(Table):
    """One application for a life event (forms/life_events/): its parts become service requests,
    filed with their departments by the case's workflow as their turn comes."""

    id: Serial

    ref = Varchar(length=32, unique=True)  # type: ignore[assignment]  # a column named like a Table method, as stored
    workflow_id = Varchar(length=64, unique=True)
    event_id = Varchar(length=64, index=True)
    event_version = Integer()
    applicant = ForeignKey(references=Account, index=True)
    idempotency_scope = Varchar(length=200, unique=True)
    payload_hash = Varchar(length=64)
    # in_progress | done
    state = Varchar(length=20)
    # Each chosen part: its answers (sealed as its service seals them), its state, its request.
    parts = JSON()
    locale = Varchar(length=10)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Set when retention removed the personal answers kept with its parts (it was done long ago).
    anonymised_at = Timestamptz(null=True, default=None)


class CommitmentRecord(Table):
    """A commitment signed in place of proofs (告知承诺制), one per request filed on commitment: who
    signed what and when, then the post-check's finding. A broken one bars the signer (by account
    and by holder: the person's resident key or the enterprise) from the commitment route for the
    service's ``barred_years``."""

    id: Serial

    request = ForeignKey(references=ServiceRequest, unique=True)
    account = ForeignKey(references=Account, index=True)
    holder_key = Varchar(length=100, index=True)
    service_id = Varchar(length=64)
    service_version = Integer()
    # The statement signed (its English text, the catalog's message id) and the proofs it replaced.
    statement = Text()
    replaces = JSON(default="[]")
    # The signer as recorded at signing: name sealed, identity number masked; no network address.
    signer_name = Varchar(length=600)
    signer_id_masked = Varchar(length=40, default="")
    signed_at = Timestamptz()
    # pending | kept | broken
    outcome = Varchar(length=20, default="pending", index=True)
    # Why it was found broken, in the clerk's words (sealed).
    reason = Text(default="")
    checked_at = Timestamptz(null=True, default=None)
    checked_by = ForeignKey(references=Account, null=True, default=None)
    # What was paid on the decision and is now owed back (cents).
    recovered_cents = BigInt(default=0)


class Credential(Table):
    """A verifiable credential the hub signed (a JWT, W3C VC data model): issued with a document of
    approval (``document``), or signed from a registry's record for its holder. ``status_index`` is
    its bit in the public status list, set when it is revoked."""

    id: Serial

    jti = Varchar(length=64, unique=True)
    # What makes it this credential: the document's key, or ``<type>:<registry>:<holder>:<version>``.
    key = Varchar(length=200, unique=True)
    type = Varchar(length=64, index=True)
    # hub | registry
    source = Varchar(length=20)
    # The issuing department's code, or the registry's name.
    issuer = Varchar(length=64)
    holder = ForeignKey(references=Account, index=True)
    # Held by an enterprise (issued to someone acting for it, or its registry's business licence):
    # every person acting for it holds it, whoever applied, and nobody takes it along on leaving.
    enterprise = ForeignKey(references=Enterprise, null=True, default=None, index=True)
    document = ForeignKey(references=Document, null=True, default=None, index=True)
    status_index = Integer(unique=True)
    issued_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    # valid | revoked | superseded
    status = Varchar(length=20, default="valid", index=True)
    revoked_at = Timestamptz(null=True, default=None)
    # What it states (JSON, sealed) and the signed JWT (sealed): both name the holder.
    claims = Text()
    jwt = Text()
    key_id = Varchar(length=40)
    # A registry-held credential: a digest of what it states, to see when the registry has changed it.
    digest = Varchar(length=64, default="")


class CredentialShare(Table):
    """A credential shared by its holder through a link: the fields chosen (an SD-JWT presentation
    disclosing only them), until when, and whether the holder has taken it back."""

    id: Serial

    # A SHA-256 of the link's token; the token itself is kept sealed so the holder can show it again.
    token_hash = Varchar(length=64, unique=True)
    token = Text()
    credential = ForeignKey(references=Credential, index=True)
    holder = ForeignKey(references=Account, index=True)
    fields = JSON(default="[]")
    # Who it is shared with, in the holder's words (sealed), e.g. "the bank, for a loan".
    recipient = Text(default="")
    presentation = Text()
    # The presentation's own id (its ``jti``), so a verifier's system checking the SD-JWT itself
    # learns that the holder took the share back.
    presentation_id = Varchar(length=64, default="", index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class CredentialShareView(Table):
    """One opening of a shared link, for the holder's own access log: when, which fields were shown,
    and by whom when the viewer was signed in (no network address is kept)."""

    id: Serial

    share = ForeignKey(references=CredentialShare, index=True)
    viewed_at = Timestamptz()
    viewer = ForeignKey(references=Account, null=True, default=None)
    # shown | refused (expired or revoked)
    outcome = Varchar(length=20, default="shown")
    user_agent = Varchar(length=200, default="")


class MessagePreference(Table):
    """How a person wants to be told: where to reach them, the channels and language of messages
    they may turn off. Messages they may not (decisions, requests for information, payment stops)
    go to the hub and one channel whatever they chose."""

    id: Serial

    account = ForeignKey(references=Account, unique=True)
    # Sealed (encrypted) at rest, see hub/sealing.py.
    email = Varchar(length=600, default="")
    phone = Varchar(length=200, default="")
    # Of "email" and "sms": the channels for messages one may turn off (the hub always has them).
    channels = JSON(default="[]")
    # Empty: the account's language.
    locale = Varchar(length=10, default="")
    updated_at = Timestamptz()


class Message(Table):
    """One message to one person on one channel, stored before it is sent under a key unique per
    event, person and channel (so a retried send finds it), with its delivery state."""

    id: Serial

    key = Varchar(length=250, unique=True)
    account = ForeignKey(references=Account, index=True)
    kind = Varchar(length=40)
    # hub | email | sms
    channel = Varchar(length=10, index=True)
    mandatory = Boolean(default=False)
    urgent = Boolean(default=False)
    locale = Varchar(length=10)
    subject = Text()
    body = Text()
    # A message in the hub written in each of the hub's languages, {"<locale>": [subject, body]}, so
    # that it reads in the language its reader reads the hub in now. Empty for an email or an SMS
    # (what went out stays as it went) and for messages stored before (shown as ``subject``/``body``).
    renderings = JSON(default="{}")
    # Where the message leads in the hub (a request's page), relative to the hub's address.
    link = Varchar(length=300, default="")
    # The email address or phone number it went to: sealed (encrypted) at rest.
    address = Text(default="")
    # queued | sent | delivered | failed
    state = Varchar(length=12, default="queued", index=True)
    reason = Text(default="")
    attempts = Integer(default=0)
    # Set while a channel is being handed the message: found set on a retry, the hand-over's outcome
    # is unknown (the worker died), so it is not sent again.
    sending_since = Timestamptz(null=True, default=None)
    # The SMS gateway's id for the message, which its delivery receipt names.
    provider_id = Varchar(length=100, default="", index=True)
    created_at = Timestamptz()
    # Held until then (an SMS in quiet hours).
    not_before = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)


class StageRating(Table):
    """The applicant's rating (1 to 5) of one stage of a request before its decision: the filing, or
    one department's step (the decision itself is a ``Rating``). One per stage; left out of every
    figure after an upheld appeal, as a ``Rating`` is."""

    id: Serial

    # "<request id>:<stage>": one rating per stage of a request.
    key = Varchar(length=250, unique=True)
    request = ForeignKey(references=ServiceRequest, index=True)
    account = ForeignKey(references=Account, index=True)
    # filing | step (a review task)
    stage = Varchar(length=16)
    task = ForeignKey(references=ReviewTask, null=True, default=None)
    department = Varchar(length=64, default="")
    score = Integer()
    comment = Text(default="")
    created_at = Timestamptz()
    excluded = Boolean(default=False)


class FeedbackCase(Table):
    """A case in a department's inbox with a working-day time limit that escalates to the
    supervisors when it passes: the follow-up of a bad rating, or a grievance (hub/feedback)."""

    id: Serial

    ref = Varchar(length=32, unique=True)  # type: ignore[assignment]  # a column named like a Table method, as stored
    # follow_up | grievance
    kind = Varchar(length=16, index=True)
    department = Varchar(length=64, index=True)
    # open | answered | closed
    state = Varchar(length=16, default="open", index=True)
    opened_at = Timestamptz()
    working_days = Integer()
    due_at = Timestamptz()
    provisional = Boolean(default=False)
    escalated_at = Timestamptz(null=True, default=None)
    # The case's clock (a Temporal workflow) was started; the worker starts those left unstarted.
    clock_started = Boolean(default=False)
    # A follow-up: the rating it follows up (one case per rating) and its request.
    rating = ForeignKey(references=Rating, null=True, default=None, unique=True)
    # One case per stage rating, as per rating (SQLite cannot add a unique column to a table).
    stage_rating = ForeignKey(references=StageRating, null=True, default=None, index=True)
    request = ForeignKey(references=ServiceRequest, null=True, default=None, index=True)
    # Who it is for: the applicant, or the grievance's author (none when filed anonymously).
    account = ForeignKey(references=Account, null=True, default=None, index=True)
    # A grievance: about a service, a clerk or a payment; about a named clerk, supervisors only see it.
    subject = Varchar(length=16, default="")
    service_id = Varchar(length=64, default="")
    clerk = ForeignKey(references=Account, null=True, default=None)
    sensitive = Boolean(default=False)
    # Handled by the oversight office (the auditors), not the department: a grievance about a
    # supervisor, or about a clerk whose department has no other supervisor to judge it.
    oversight = Boolean(default=False)
    # Its appeal is decided by the oversight office: the department had no supervisor to decide it.
    appeal_oversight = Boolean(default=False)
    # People's own words, sealed at rest (hub/sealing.py): the grievance, the cause, the fix, the answer.
    text = Text(default="")
    cause = Text(default="")
    fix = Text(default="")
    answer = Text(default="")
    # A follow-up: resolved | explained; a grievance: upheld | partly_upheld | not_upheld.
    outcome = Varchar(length=16, default="")
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(references=Account, null=True, default=None)
    # The applicant's rating (1-5) of the follow-up or of the grievance's answer.
    answer_score = Integer(null=True, default=None)
    # An appeal: by the department against the rating (follow-up), by the author against the answer
    # (grievance); a supervisor decides it. pending | upheld | dismissed.
    appeal_state = Varchar(length=12, default="")
    appeal_reason = Text(default="")
    appealed_at = Timestamptz(null=True, default=None)
    # Who appealed (none for appeals made before it was kept): they do not decide their own appeal.
    appealed_by = ForeignKey(references=Account, null=True, default=None)
    appeal_note = Text(default="")
    appeal_decided_at = Timestamptz(null=True, default=None)
    appeal_decided_by = ForeignKey(references=Account, null=True, default=None)


class CaseContact(Table):
    """A clerk's contact with the person a case is about: when, how, and what was said (sealed)."""

    id: Serial

    case = ForeignKey(references=FeedbackCase, index=True)
    clerk = ForeignKey(references=Account)
    contacted_at = Timestamptz()
    # phone | sms | email | visit | in_person
    channel = Varchar(length=16)
    summary = Text()
    recorded_at = Timestamptz()


class RatingInvitation(Table):
    """A decided request whose applicant was invited to rate it (once)."""

    id: Serial

    request = ForeignKey(references=ServiceRequest, unique=True)
    invited_at = Timestamptz()


class CockpitTally(Table):
    """The cockpit's figures per Beijing day, kept up to date as requests and tasks move
    (``hub/db/tallies.py``): one row per measure, day, service, department, step and bucket."""

    id: Serial

    # "<measure>|<day>|<service>|<department>|<step>|<bucket>": what an increment finds its row by.
    key = Varchar(length=300, unique=True)
    # received | closed | decided | approved | within_limit | hours (a request's time to decision);
    # opened | task_closed | task_decided | task_hours | overdue_in | overdue_out (a department's tasks)
    measure = Varchar(length=20)
    day = Date(index=True)
    service_id = Varchar(length=64, default="")
    department = Varchar(length=64, default="")
    step = Varchar(length=64, default="")
    # For the *_hours measures: the duration's bucket in hours (hours below a day, whole days above).
    bucket = Integer(default=0)
    n = Integer(default=0)


class CockpitCounted(Table):
    """What the cockpit's tallies hold of one request or task ("request:<id>", "task:<id>"), so a
    move is counted as the difference between what it was and what it is, once."""

    id: Serial

    key = Varchar(length=40, unique=True)
    facts = Text(default="[]")
