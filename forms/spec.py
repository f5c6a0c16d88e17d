"""The shape of a service spec, as loaded from a TOML file in ``forms/services/``.

Structural mistakes are caught here (by pydantic, as the file loads); cross-references that need
the whole catalog (departments, rule names) are checked in ``catalog.py``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Audience = Literal["citizen", "enterprise"]
FieldType = Literal[
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "choice",
    "multi_choice",
    "boolean",
    "email",
    "phone",
    "address",
    "resident_id",
    "uscc",
    "bank_account",
    "file",
    "group",
]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
# Media types a file field may accept; uploads are checked by content, not by name.
MediaType = Literal["application/pdf", "image/png", "image/jpeg"]
MAX_FILE_KB = 10 * 1024
LifeEvent = Literal["having-a-baby", "moving-to-the-city", "starting-a-business", "hard-times", "growing-old"]
EnterpriseStage = Literal["starting-up", "hiring", "innovating", "attracting-talent"]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Han characters: a zh_CN search word has one, an English one none (a list put under the wrong language).
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
SearchWord = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^\S(.*\S)?$")]


class SearchWords(SpecModel):
    """The words people search with for a service or life event that its title does not hold:
    everyday names and abbreviations (低保 for 最低生活保障), per language. They are presentation,
    read by the catalog's search alone: not translated, not part of what a request is filed under,
    so adding or changing them needs no new version."""

    zh_CN: list[SearchWord] = Field(default=[], max_length=20)
    en: list[SearchWord] = Field(default=[], max_length=20)

    @model_validator(mode="after")
    def _check(self) -> SearchWords:
        for language, words in (("zh_CN", self.zh_CN), ("en", self.en)):
            folded = [w.casefold() for w in words]
            twice = sorted({w for w in folded if folded.count(w) > 1})
            if twice:
                raise ValueError(f"search_words.{language}: {', '.join(twice)} listed twice")
        if wrong := [w for w in self.zh_CN if not HAN.search(w)]:
            raise ValueError(f"search_words.zh_CN: {', '.join(wrong)} has no Chinese character (an en word?)")
        if wrong := [w for w in self.en if HAN.search(w)]:
            raise ValueError(f"search_words.en: {', '.join(wrong)} is Chinese (a zh_CN word?)")
        return self

    def listed(self) -> list[str]:
        """Every language's words."""
        return [*self.zh_CN, *self.en]


class Department(SpecModel):
    """A government department that owns or reviews services."""

    code: Identifier
    name: str
    short_name: str = ""
    # Opens the numbers of the documents it issues, as in 西民〔2026〕12号 (not translated).
    document_prefix: str = Field(default="", max_length=8)


class Option(SpecModel):
    value: str
    label: str


class VisibleWhen(SpecModel):
    """Show a field only when another field has one of the given values."""

    field: Identifier
    equals: list[str | bool | int] = Field(min_length=1)


class FieldSpec(SpecModel):
    """One field of a service form (or of a repeating group)."""

    name: Identifier
    type: FieldType
    label: str
    help: str = ""
    required: bool = True
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    options: list[Option] = []
    visible_when: VisibleWhen | None = None
    # Personal data is collected only for a stated purpose (minimisation), and masked when shown.
    personal: bool = False
    purpose: str = ""
    # Sensitive personal data (health, disability, ethnicity, hardship): masked whole when shown,
    # not even a first character (a name keeps its first; "汉族" would keep its meaning).
    sensitive: bool = False
    # Where the government already holds this value: "profile.<key>" or "enterprise.<key>".
    prefill: str | None = Field(default=None, pattern=r"^(profile|enterprise)\.[a-z_]+$")
    # file: accepted media types and size limit.
    accept: list[MediaType] = []
    # file: a credential the government issued (a type of forms/credentials.toml) that stands in for
    # the upload when the applicant holds a valid one; ``or_upload = false`` accepts nothing else.
    credential: Identifier | None = None
    or_upload: bool = True
    max_size_kb: int = Field(default=MAX_FILE_KB, ge=1, le=MAX_FILE_KB)
    # A typical answer: shown in the API as an example, and used by tests to file the service.
    example: str | int | float | bool | list[str] | None = None
    # group: the fields of each item, and how many items.
    fields: list[FieldSpec] = []
    min_items: int = Field(default=0, ge=0)
    max_items: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        where = f"field {self.name!r}"
        if self.type in ("choice", "multi_choice") and not self.options:
            raise ValueError(f"{where}: a {self.type} field needs options")
        if self.personal and not self.purpose.strip():
            raise ValueError(f"{where}: personal data must state the purpose it is collected for")
        if self.sensitive and not self.personal:
            raise ValueError(f"{where}: sensitive data is personal data (personal = true, with its purpose)")
        if self.type == "file" and not self.accept:
            raise ValueError(f"{where}: a file field must list the media types it accepts")
        if self.credential is not None and self.type != "file":
            raise ValueError(f"{where}: only a file field (a proof) can be satisfied by a credential")
        if not self.or_upload and self.credential is None:
            raise ValueError(f"{where}: or_upload = false needs the credential that takes the upload's place")
        if self.type == "group":
            if not self.fields:
                raise ValueError(f"{where}: a group needs fields")
            if any(f.type == "group" for f in self.fields):
                raise ValueError(f"{where}: groups cannot be nested")
            if any(f.visible_when or f.prefill for f in self.fields):
                raise ValueError(f"{where}: fields inside a group cannot be conditional or prefilled")
            if self.min_items > self.max_items:
                raise ValueError(f"{where}: min_items is larger than max_items")
        elif self.fields:
            raise ValueError(f"{where}: only a group has fields")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"{where}: minimum is larger than maximum")
        return self


class Rule(SpecModel):
    """A condition with the message shown when it is not met (eligibility rule or automatic check).

    The expression sees the form answers by field name, ``profile`` (the applicant), ``enterprise``
    (the applicant's registry record) and ``today``.
    """

    id: Identifier
    expression: str
    message: str


class Stage(SpecModel):
    """One stage of a route.

    ``review``: one task per department, in parallel; ``mode`` says whether all must approve or
    whether the first approval carries the stage. ``check``: automatic checks, no human.
    A stage with ``when`` runs only if that expression holds for the request.
    """

    id: Identifier
    kind: Literal["review", "check"] = "review"
    title: str
    departments: list[Identifier] = []
    mode: Literal["all", "any"] = "all"
    checks: list[Rule] = []
    when: str | None = None
    time_limit_days: int = Field(default=1, ge=1, le=365)

    @model_validator(mode="after")
    def _check(self) -> Stage:
        if self.kind == "review" and not self.departments:
            raise ValueError(f"stage {self.id!r}: a review stage needs at least one department")
        if self.kind == "review" and self.checks:
            raise ValueError(f"stage {self.id!r}: only a check stage has checks")
        if self.kind == "check" and not self.checks:
            raise ValueError(f"stage {self.id!r}: a check stage needs checks")
        if len(set(self.departments)) != len(self.departments):
            raise ValueError(f"stage {self.id!r}: a department is listed twice")
        return self


class Material(SpecModel):
    """A material the applicant is asked for, and how it reaches the department without a copy:
    a credential the government issued (``credential``), a registry the hub reads (``registry``,
    e.g. ``social-insurance``), a field of the form that takes it (``field``: a file field is
    uploaded unless its credential is held; any other field is answered on the form), or nothing
    to hand in (``submitted = false``: kept for inspection, signed online, or sent by its keeper). A plain string in ``materials`` is a material
    handed in as a copy."""

    title: str
    credential: Identifier | None = None
    registry: Identifier | None = None
    field: Identifier | None = None
    submitted: bool = True

    @model_validator(mode="after")
    def _check(self) -> Material:
        ways = [w for w in (self.credential, self.registry, self.field) if w is not None]
        if len(ways) > 1:
            raise ValueError(f"material {self.title!r}: name one of credential, registry or field")
        if ways and not self.submitted:
            raise ValueError(f"material {self.title!r}: submitted = false is for a material nothing reads")
        return self


class Outcome(SpecModel):
    # A decision notice always; a certificate (licence, permit, recognition) where the service grants one.
    on_approval: list[Literal["decision", "certificate"]] = ["decision"]
    on_rejection: list[Literal["decision"]] = ["decision"]
    # For subsidies: the amount granted, e.g. "min(insured_employees * 1000, 200000)" (CNY).
    amount: str | None = None


# What the population registry says about a person, as a benefit's formulas read it (``person.*``):
# age in completed years, and whether they are alive and resident in the city, all on one date.
PERSON_FACTS = ("age", "alive", "resident", "born_on", "died_on", "moved_out_on")
# How often the hub accepts an application from the same holder while one is open or paid:
# once per person (a citizen's benefit), per enterprise, or per calendar year (period).
OncePer = Literal["person", "enterprise", "period"]


class BenefitPays(SpecModel):
    """What a benefit pays, in plain words per language, for its service page when the amount is a
    formula (bands, a share of a wage): ``{money:100}`` is written as money. Presentation like
    ``search_words``: not translated, read by nothing that files, decides or pays, so adding or
    changing it needs no new version."""

    zh_CN: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _check(self) -> BenefitPays:
        if not HAN.search(self.zh_CN):
            raise ValueError("benefit.pays.zh_CN has no Chinese character (the en text?)")
        if HAN.search(self.en):
            raise ValueError("benefit.pays.en is Chinese (the zh_CN text?)")
        return self


class Benefit(SpecModel):
    """What an approved request of a benefit service becomes: an entitlement, paid every month by
    the benefit's payment cycle, or once (``one_off``) by the next cycle.

    ``amount`` (CNY per payment) is a formula over the approved answers and ``person``, what the
    population registry holds on the first day of the period paid; it is read again at every
    cycle, so an age band or a death changes the payment by itself. ``band`` names the bracket the
    amount falls in, for notices (``"'90-99' if person.age < 100 else '100+'"``). A formula that
    gives more than ``maximum`` or nothing is refused as absurd: that entitlement is set aside.
    """

    kind: Literal["monthly", "one_off"]
    amount: str
    band: str | None = None
    maximum: Decimal = Field(gt=0)
    # The answers that say how and where it is paid.
    payment_method_field: Identifier | None = None
    account_field: Identifier | None = None
    # The day of the month the cycle pays (Beijing date); a period is due from that day.
    payment_day: int = Field(default=10, ge=1, le=28)
    # What it pays in plain words, for a formula's amount (BenefitPays).
    pays: BenefitPays | None = None

    @property
    def fixed_amount(self) -> Decimal | None:
        """The amount when the formula is a plain number (the same for everyone), else None."""
        try:
            return Decimal(self.amount.strip())
        except ArithmeticError:
            return None


# The stage id of the post-check that follows an approval on commitment: no stage of a route has it.
POST_CHECK_STAGE = "post-check"
# The answer that says the applicant signs the service's commitment instead of uploading its proofs.
COMMITMENT_ANSWER = "commitment"


class Commitment(SpecModel):
    """Approval on commitment (告知承诺制): the applicant signs ``statement`` instead of uploading the
    proofs in ``replaces`` (file fields of the form, then optional). The request is approved without
    its review stages, and the owning department checks on the spot (``post_check``) within
    ``post_check_days`` working days. A broken commitment revokes the decision, recovers what was
    paid, and bars the applicant from the commitment route for ``barred_years``."""

    statement: str = Field(min_length=1)
    replaces: list[Identifier] = Field(min_length=1)
    post_check_days: int = Field(default=20, ge=1, le=365)
    post_check: str = Field(min_length=1)
    barred_years: int = Field(default=2, ge=0, le=10)

    @model_validator(mode="after")
    def _check(self) -> Commitment:
        if len(set(self.replaces)) != len(self.replaces):
            raise ValueError("commitment.replaces lists a field twice")
        return self


class ServiceSpec(SpecModel):
    """A service a citizen or enterprise can request, as the government publishes it."""

    id: Identifier
    version: int = Field(ge=1)
    title: str
    summary: str
    audience: list[Audience] = Field(min_length=1)
    topics: list[Identifier] = []
    # For browsing the catalog: the life events (citizens) and enterprise stages it serves (topics.py).
    life_events: list[LifeEvent] = []
    enterprise_stages: list[EnterpriseStage] = []
    # Everyday names and abbreviations the search finds it by, per language (SearchWords).
    search_words: SearchWords = SearchWords()
    owner: Identifier
    legal_basis: str
    time_limit_days: int = Field(ge=1, le=365)
    # Working days the department has to follow up a rating of 1 or 2 (empty: the hub's setting).
    follow_up_days: int | None = Field(default=None, ge=1, le=60)
    fee: str = "Free of charge"
    # Strings, or tables saying how a material reaches the department without a copy (Material).
    materials: list[str | Material] = []
    fields: list[FieldSpec] = Field(min_length=1)
    rules: list[Rule] = []
    route: list[Stage] = Field(min_length=1)
    outcome: Outcome = Outcome()
    # A benefit paid to the applicant once approved (citizens' allowances).
    benefit: Benefit | None = None
    # A second application is refused while one is open or an entitlement is active.
    once_per: OncePer | None = None
    # Instant approval by rule (秒批): the route's check stages run first, and when every automatic
    # check passes (the eligibility rules already passed at filing) the review stages are skipped and
    # the request is approved by rule, with no clerk. A failed check falls back to the review stages.
    instant: bool = False
    # Approval on commitment (告知承诺制): a signed commitment stands in for the listed proofs.
    commitment: Commitment | None = None

    @model_validator(mode="after")
    def _check(self) -> ServiceSpec:
        names = [f.name for f in self.fields]
        if COMMITMENT_ANSWER in names:
            raise ValueError(f"the field name {COMMITMENT_ANSWER!r} is reserved for the commitment choice")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate field names: {', '.join(duplicates)}")
        for f in self.fields:
            sub = [s.name for s in f.fields]
            if len(set(sub)) != len(sub):
                raise ValueError(f"field {f.name!r}: duplicate field names in the group")
        stage_ids = [s.id for s in self.route]
        if len(set(stage_ids)) != len(stage_ids):
            raise ValueError("route stage ids must be unique")
        if POST_CHECK_STAGE in stage_ids:
            raise ValueError(f"the stage id {POST_CHECK_STAGE!r} is reserved for the post-check of a commitment")
        rule_ids = [r.id for r in self.rules] + [c.id for s in self.route for c in s.checks]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("rule and check ids must be unique")
        if all(s.when for s in self.route):
            raise ValueError("the route needs at least one stage that always runs (without 'when')")
        if self.benefit is not None:
            if self.audience != ["citizen"]:
                raise ValueError("a benefit is paid to citizens: its audience must be ['citizen']")
            if self.once_per not in ("person", "period"):
                raise ValueError("a benefit is granted once per person (or per period): set once_per")
            if self.outcome.amount is not None:
                raise ValueError("a benefit's amount is benefit.amount; outcome.amount is for subsidies")
        if self.once_per == "enterprise" and self.audience != ["enterprise"]:
            raise ValueError("once_per = 'enterprise' needs the audience ['enterprise']")
        return self

    @property
    def granted_amount(self) -> str | None:
        """The formula of the amount an approval grants: a subsidy's, or a benefit's per payment."""
        return self.outcome.amount or (self.benefit.amount if self.benefit else None)

    @property
    def material_titles(self) -> list[str]:
        """The materials' display strings, as written (to be translated)."""
        return [m if isinstance(m, str) else m.title for m in self.materials]

    @property
    def credential_fields(self) -> dict[str, FieldSpec]:
        """Top-level file fields a held credential may satisfy, by name."""
        return {f.name: f for f in self.fields if f.credential is not None}

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def supplementable_fields(self) -> list[str]:
        """Fields a department may ask the applicant to supply again: never one the government
        already holds (prefilled from a registry), which the applicant cannot change."""
        return [f.name for f in self.fields if not f.prefill]

    @property
    def departments(self) -> list[str]:
        """Every department that takes part, owner first, without repeats."""
        seen = [self.owner]
        for stage in self.route:
            seen += [d for d in stage.departments if d not in seen]
        return seen

    @property
    def personal_fields(self) -> dict[str, str]:
        """Personal fields by name (``group.field`` inside groups), with their type."""
        found: dict[str, str] = {}
        for f in self.fields:
            if f.personal:
                found[f.name] = f.type
            for sub in f.fields:
                if sub.personal:
                    found[f"{f.name}.{sub.name}"] = sub.type
        return found

    @property
    def sensitive_fields(self) -> set[str]:
        """Sensitive personal fields by name (``group.field`` inside groups): masked whole."""
        return {f.name for f in self.fields if f.sensitive} | {
            f"{f.name}.{sub.name}" for f in self.fields for sub in f.fields if sub.sensitive
        }
