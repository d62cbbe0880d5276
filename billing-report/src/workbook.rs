//! The agreement workbook: its sheets and columns (English names, Swedish aliases), and the
//! model read from it, validated as a whole so that every problem is reported at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use billing_core::calendar::{
    Budget, BudgetLine, CorrectionPolicy, FeePolicy, Period, PeriodStarts, Registration, UserCount,
    UserId,
};
use billing_core::cooperation::{Cooperation, CoveredCost};
use billing_core::invoice::ids::OrgNumber;
use billing_core::invoice::VatRate;
use billing_core::settlement::ProviderCost;
use billing_core::transactions::{Kind, Tariff, TariffTable, UnitPrice};
use billing_core::{
    Agreement, Cap, CapLimit, Currency, ExcessPolicy, Key, Money, Participants, Party, PartyId,
    Pool, PoolBuilder, Population, Sourced, Threshold, ThresholdTable,
};

use billing_core::engine;

use crate::document::Language;
use crate::input::{read_source, same_name, CellRef, Problem, Problems, Severity, Source, Table};

/// A sheet of the workbook: its English name, Swedish aliases, whether it must be there, what it
/// holds, and its columns.
pub struct SheetSpec {
    /// The English name.
    pub name: &'static str,
    /// Other accepted names (Swedish).
    pub aliases: &'static [&'static str],
    /// Whether the workbook must have it.
    pub required: bool,
    /// What it holds, for the template's instructions.
    pub about: &'static str,
    /// Its columns.
    pub columns: &'static [ColumnSpec],
}

/// A column: its English header, Swedish aliases, whether it is required, what it holds and an
/// example value.
pub struct ColumnSpec {
    /// The English header.
    pub name: &'static str,
    /// Other accepted headers (Swedish).
    pub aliases: &'static [&'static str],
    /// Whether every row must fill it (a missing required column is an error).
    pub required: bool,
    /// What it holds.
    pub about: &'static str,
}

const fn col(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    about: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required,
        about,
    }
}

/// Every sheet the workbook may hold.
pub const SHEETS: &[SheetSpec] = &[
    SheetSpec {
        name: "Settings",
        aliases: &["Inställningar"],
        required: true,
        about: "The agreement's settings, one per row: setting and value.",
        columns: &[
            col("setting", &["inställning"], true, "the setting's name (see the instructions)"),
            col("value", &["värde"], false, "its value"),
        ],
    },
    SheetSpec {
        name: "Parties",
        aliases: &["Parter", "Huvudmän"],
        required: true,
        about: "The member organisations: municipalities, regions, federations.",
        columns: &[
            col("id", &["part", "kod"], true, "a short unique id, e.g. the municipality code 0880"),
            col("name", &["namn"], true, "the organisation's name"),
            col("org_nr", &["organisationsnummer", "orgnr"], false, "organisation number NNNNNN-NNNN"),
            col("kind", &["typ"], false, "municipality, region, federation or other"),
            col("population", &["folkmängd", "invånare"], false, "inhabitants, for the population key"),
            col("population_date", &["folkmängd_datum", "referensdatum"], false, "the date the population refers to"),
            col("users", &["användare", "antal_användare"], false, "users, for pools with the users key"),
            col("joined", &["inträde", "inträdesdatum"], false, "the first day of membership (empty: from the start)"),
            col("approved_by", &["godkänd_av"], false, "for a party joining later: the ids of the parties that approved, separated by commas"),
            col("notice_given", &["uppsägning", "uppsagd"], false, "the date notice was given"),
            col("roles", &["roller"], false, "coordinator, operator, manager (separated by commas)"),
            col("street", &["gatuadress", "utdelningsadress", "adress"], false, "street address or box, one line (printed on invoices)"),
            col("postcode", &["postnummer"], false, "postcode, e.g. 195 85"),
            col("city", &["ort", "postort"], false, "city (postort)"),
            col("country", &["land"], false, "ISO country code (default SE)"),
            col("buyer_reference", &["er_referens", "referens", "fakturareferens"], false, "the reference or routing code the party wants on its invoices (required to issue e-invoices)"),
            col("peppol_id", &["e-fakturaadress", "peppol"], false, "the Peppol e-invoice address, e.g. 0007:2120000142 (default 0007: + the organisation number)"),
            col("email", &["e-post", "epost"], false, "an e-mail address for invoices (optional)"),
        ],
    },
    SheetSpec {
        name: "Pools",
        aliases: &["Kostnadsposter", "Kostnader"],
        required: false,
        about: "The costs to share: amount, key, who shares, cap, due date.",
        columns: &[
            col("id", &["post", "kod"], true, "a short unique id, e.g. system-2020"),
            col("name", &["namn", "benämning"], true, "what the cost is for"),
            col("amount", &["belopp"], true, "the amount to share, in kronor"),
            col("due", &["fakturadatum", "faktureras"], true, "the invoice date(s) it is billed on; several dates (separated by ;) split it in equal instalments"),
            col("key", &["nyckel", "fördelningsnyckel"], true, "population, users, equal, weight:<figure>, fixed or direct:<party>"),
            col("participants", &["deltagare"], false, "ids of the parties that share it (empty: all)"),
            col("cap", &["tak"], false, "empty, lou, or an amount"),
            col("excess", &["överskott"], false, "absorb:<party>, redistribute or uncovered (when capped)"),
            col("year", &["år"], false, "the billing year (needed for a lou cap)"),
            col("vat", &["moms"], false, "0, 6, 12, 25 or outside (default 0)"),
            col("total_users", &["användare_totalt"], false, "for the users key: users in all organisations, parties or not"),
            col("period_from", &["period_från"], false, "first day of the period it covers"),
            col("period_to", &["period_till"], false, "last day of the period it covers"),
        ],
    },
    SheetSpec {
        name: "Figures",
        aliases: &["Nyckeltal"],
        required: false,
        about: "Named figures per party for weight:<figure> keys.",
        columns: &[
            col("party", &["part"], true, "the party's id"),
            col("figure", &["nyckeltal"], true, "the figure's name"),
            col("value", &["värde"], true, "its value, above 0"),
        ],
    },
    SheetSpec {
        name: "FixedAmounts",
        aliases: &["Fasta belopp"],
        required: false,
        about: "Amounts per party for pools with the fixed key; they must add up to the pool.",
        columns: &[
            col("pool", &["post"], true, "the pool's id"),
            col("party", &["part"], true, "the party's id"),
            col("amount", &["belopp"], true, "the party's amount"),
        ],
    },
    SheetSpec {
        name: "Budget",
        aliases: &["Budget"],
        required: false,
        about: "Budget lines; the annual user fee is the budget divided by the users (R5).",
        columns: &[
            col("valid_from", &["gäller_från"], true, "the first day the fee from this budget applies"),
            col("line", &["post", "kostnadsslag"], true, "what the line pays for"),
            col("amount", &["belopp"], true, "the line's amount"),
            col("reference_date", &["referensdatum"], false, "the day users are counted (default: valid_from)"),
            col("users", &["användare"], false, "the number of users N, if not counted from the register"),
            col("inferred", &["härledd"], false, "yes when the figure is inferred, not read from a source"),
        ],
    },
    SheetSpec {
        name: "Users",
        aliases: &["Användarregister", "Användare"],
        required: false,
        about: "The user register: one row per registration (ids are never printed).",
        columns: &[
            col("party", &["part"], true, "the party the user works for"),
            col("user_id", &["användar_id", "användare"], true, "the user's id"),
            col("first_day", &["från", "första_dag"], true, "the first day of the registration"),
            col("last_day", &["till", "sista_dag"], false, "the last day (empty: still active)"),
            col("organisation", &["organisation", "enhet"], false, "an organisation below the party, e.g. a licensed care provider"),
        ],
    },
    SheetSpec {
        name: "UserCounts",
        aliases: &["Antal användare"],
        required: false,
        about: "Instead of a register: users per party and date (next_invoice_count only).",
        columns: &[
            col("party", &["part"], true, "the party's id"),
            col("date", &["datum"], true, "the day counted"),
            col("count", &["antal"], true, "the number of users"),
        ],
    },
    SheetSpec {
        name: "Thresholds",
        aliases: &["Tröskelvärden", "Direktupphandlingsgräns"],
        required: false,
        about: "An override of the direct-award thresholds (LOU) used by lou caps.",
        columns: &[
            col("in_force_from", &["gäller_från"], true, "the first day the threshold applies"),
            col("amount", &["belopp"], true, "the threshold"),
        ],
    },
    SheetSpec {
        name: "ProviderCosts",
        aliases: &["Leverantörskostnader"],
        required: false,
        about: "The operator's and managers' actual costs, invoiced to the coordinator in arrears (R10).",
        columns: &[
            col("provider", &["leverantör"], true, "the providing party's id"),
            col("description", &["beskrivning"], true, "what the cost is"),
            col("incurred", &["datum"], true, "the day the cost was incurred"),
            col("amount", &["belopp"], true, "the amount"),
            col("vat", &["moms"], false, "0 (default), 6, 12, 25 or outside"),
        ],
    },
    SheetSpec {
        name: "Tariffs",
        aliases: &["Taxor", "Priser"],
        required: false,
        about: "Unit prices of transactions (R11): each transaction is priced at the price valid on its date.",
        columns: &[
            col("kind", &["typ", "transaktion"], true, "the kind: login, signature, sms, …"),
            col("price", &["pris", "styckpris"], true, "the price of one transaction, in kronor (up to 4 decimals)"),
            col("valid_from", &["gäller_från"], true, "the first day the price applies"),
            col("valid_to", &["gäller_till"], false, "the last day it applies (empty: no end)"),
        ],
    },
    SheetSpec {
        name: "Cooperations",
        aliases: &["Samverkan", "Samarbeten"],
        required: false,
        about: "Cooperations with a member limit and one fee split among the members (R13), and what the fee is meant to cover.",
        columns: &[
            col("id", &["kod"], true, "a short unique id"),
            col("name", &["namn"], true, "the cooperation's name"),
            col("members", &["medlemmar"], true, "the member parties' ids, separated by commas"),
            col("member_limit", &["max_medlemmar"], true, "the most members allowed"),
            col("administrator", &["administratör"], false, "the party whose administrator sees every member's data"),
            col("fee", &["avgift"], false, "the fee per cooperation and year"),
            col("year", &["år"], false, "the year the fee is for"),
            col("due", &["fakturadatum", "faktureras"], false, "the invoice date(s) of the fee"),
            col("covers", &["täcker"], false, "what the fee covers, as counted:priced pairs, e.g. login:sms (each login sends an SMS)"),
        ],
    },
    SheetSpec {
        name: "Scenarios",
        aliases: &["Scenarier"],
        required: false,
        about: "What-if changes for `billing-report year --scenario NAME`, one change per row; rows with the same scenario name combine. They never touch the invoice register.",
        columns: &[
            col("scenario", &["namn_på_scenario", "scenarionamn"], true, "the scenario's name, e.g. budget +10 %"),
            col("change", &["ändring"], true, "join, notice, pool_amount, budget, cap, excess, threshold, users, population or key (Swedish: inträde, uppsägning, kostnadspost, budget, tak, överskott, tröskelvärde, användare, folkmängd, nyckel)"),
            col("party", &["part"], false, "the party (join: the new party's id; notice, users, population: a party of the agreement)"),
            col("pool", &["kostnadspost"], false, "the pool (pool_amount, cap, excess, key); join: the pools that name their participants which the new party joins, separated by commas (a pool shared by all takes it in from its joining day)"),
            col("date", &["datum"], false, "the day the change takes effect (join, notice, budget, threshold, users); within the report's year or the year before (the base and every scenario are computed over the same billing dates, so the difference is the change alone)"),
            col("value", &["värde"], false, "the new value or the amount of the change: an amount (pool_amount, budget: added; threshold, cap: the new figure or lou), a number (users, population), a policy (excess) or a key"),
            col("per_cent", &["procent"], false, "a change in per cent instead of an amount (pool_amount, budget), e.g. 10 or -5"),
            col("name", &["namn"], false, "join: the new party's name"),
            col("population", &["folkmängd"], false, "join: the new party's population"),
            col("users", &["användare"], false, "join: the new party's users"),
            col("approved_by", &["godkänd_av"], false, "join: the parties that approve, separated by commas (R8: more than half of the members)"),
        ],
    },
    SheetSpec {
        name: "Accounts",
        aliases: &["Konton", "Kontoplan"],
        required: false,
        about: "Where invoices are booked (SIE 4 export, lines.csv): a four-digit BAS account and an optional cost centre per pool or fee; what is not given keeps the BAS default.",
        columns: &[
            col("what", &["vad", "post"], true, "a pool id, user_fee, transactions, cooperation, rounding, receivable, vat_25, vat_12 or vat_6"),
            col("account", &["konto"], true, "a four-digit BAS account, e.g. 3010"),
            col("cost_centre", &["kostnadsställe", "objekt"], false, "a cost centre (SIE dimension 1), if any"),
            col("name", &["namn", "benämning"], false, "the account's name in the SIE file (default: BAS's name)"),
        ],
    },
];

/// The settings the Settings sheet may hold, with Swedish aliases and what they mean.
pub const SETTINGS: &[(&str, &[&str], &str)] = &[
    ("name", &["namn"], "the agreement's name (required)"),
    (
        "issuer",
        // The DOMAIN's word for the coordinator (administrativt samordnande kommun).
        &[
            "utfärdare",
            "samordnare",
            "samordnande_kommun",
            "utfärdande_kommun",
        ],
        "the id of the coordinating party that issues the invoices (required)",
    ),
    (
        "start",
        &["startdatum", "avtalet_gäller_från"],
        "the first day of the agreement (required with user fees)",
    ),
    ("currency", &["valuta"], "SEK (default) or another ISO code"),
    (
        "period_starts",
        &["periodstarter"],
        "billing period starts as MM-DD, separated by commas (default 01-01, 07-01)",
    ),
    (
        "correction_policy",
        &["korrigering"],
        "next_invoice_count (default) or pro_rata_days",
    ),
    (
        "payment_days",
        &["betalningsvillkor", "betalningsdagar"],
        "days from issue to due date (default 30)",
    ),
    (
        "fee_vat",
        &["moms_användaravgift"],
        "the VAT rate of user fees: 0 (default), 6, 12, 25 or outside",
    ),
    (
        "round_totals",
        &["öresavrundning"],
        "yes to round payable totals to whole kronor (default no)",
    ),
    (
        "fee_rounding",
        &["avgiftsavrundning"],
        "how the annual fee F = B / N from a budget is rounded: öre (the default; also ore), kronor (whole kronor; also krona) or exakt (not rounded: each line is computed from B and N and rounded once; also exact)",
    ),
    (
        "member_limit",
        &["max_medlemmar"],
        "the most parties the agreement allows (empty: no limit)",
    ),
    (
        "first_year_multiplier",
        &["första_året_faktor"],
        "the user-fee multiplier in a new member's first year (default 2)",
    ),
    (
        "notice_months",
        &["uppsägningstid_månader"],
        "months from notice to the last day (default 12)",
    ),
    (
        "first_invoice_number",
        &["första_fakturanummer"],
        "the first number of the issuer's invoice series (default 1)",
    ),
    (
        "ocr_length_digit",
        &["ocr_längdsiffra"],
        "yes (default) to put a length digit in OCR references",
    ),
    (
        "bankgiro",
        &["bankgiro"],
        "the issuer's bankgiro number, printed on invoices",
    ),
    (
        "annual_fee",
        &["årsavgift"],
        "the annual user fee, when it is given rather than computed from a budget",
    ),
    ("transactions_file", &["transaktionsfil"], "the transactions CSV (timestamp,party,kind or party,kind,period,count), relative to the workbook's folder"),
    ("users_file", &["användarfil"], "the user register (the Users table) as a CSV file, when it is too large for a sheet: relative to the workbook's folder and inside it"),
    ("user_counts_file", &["antalsfil"], "the user counts (the UserCounts table) as a CSV file, relative to the workbook's folder and inside it"),
    ("transactions_period", &["transaktionsperiod"], "how transactions are billed in arrears: month (default), half-year or year"),
    (
        "language",
        &["språk"],
        "the language of the invoices, the overview and the audit workbook: sv (default) or en",
    ),
    ("transactions_vat", &["moms_transaktioner"], "the VAT rate of transaction lines: 0 (default), 6, 12, 25 or outside"),
    ("f_tax", &["f-skatt", "godkänd_för_f-skatt"], "yes when the issuer is approved for F-tax (printed \"Godkänd för F-skatt\"; default no)"),
    ("our_reference", &["vår_referens"], "the issuer's contact person, printed as \"Vår referens\""),
    ("vat_exemption_reason", &["momsundantag", "skäl_för_momsbefrielse"], "why 0 % lines carry no VAT, printed on invoices (default: cost sharing between municipalities, exempt)"),
];

/// Sheets a workbook may hold that are not tables: the template's own instructions. They are
/// never read and never warned about.
pub const NOTE_SHEETS: &[&str] = &["Instructions", "Instruktioner", "Anvisningar"];

/// Headers that once were accepted and now mean something else, as `(old header, column)`:
/// "förfallodag" is the payment due date, not the invoice date the `due` column holds. A
/// workbook still using one gets an error that names the header to use, never a silent reading.
const RETIRED_HEADERS: &[(&str, &str)] = &[("förfallodag", "due")];

/// The settings whose value may be left empty: `member_limit` (empty: no limit).
const MAY_BE_EMPTY: &[&str] = &["member_limit"];

/// The known name nearest to `name` (case, spaces, underscores and hyphens ignored), from
/// `(name, shown as)` candidates: the suggestion of an unknown-name error.
pub fn nearest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = (&'a str, String)>,
) -> Option<String> {
    nearest(name, candidates).map(|(_, shown)| shown)
}

/// Like [`nearest_name`], for candidates carrying any value: the nearest one's distance (0
/// for a name inside the other) and value.
fn nearest<'a, T>(
    name: &str,
    candidates: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<(usize, T)> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let target = norm(name);
    candidates
        .into_iter()
        .map(|(c, shown)| {
            let c = norm(c);
            // A name inside another (`Poster` in `Kostnadsposter`) is nearer than any edit.
            let inside = target.len() >= 4
                && c.len() >= 4
                && (c.windows(target.len()).any(|w| w == target.as_slice())
                    || target.windows(c.len()).any(|w| w == c.as_slice()));
            (
                if inside {
                    0
                } else {
                    edit_distance(&target, &c)
                },
                shown,
            )
        })
        .min_by_key(|(d, _)| *d)
}

/// The most edits that make an unknown setting a slip of the nearest known one, for a name of
/// more than five characters (see [`misspelt_within`]).
const MISSPELT: usize = 2;

/// The edits between two names (insert, delete, change a character, or swap two neighbours:
/// `strat` is one edit from `start`), by strsim's optimal string alignment distance (already
/// in the build through clap). An over-long name is cut at 64 characters first.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let cut = |s: &[char]| s.iter().take(64).collect::<String>();
    strsim::osa_distance(&cut(a), &cut(b))
}

/// The most edits that make an unknown setting a slip of a known name of `len` characters:
/// one up to five characters (`note` is no slip of `name`, two edits away, nor `stad` of
/// `start`), two above (`first_invoice_numbr`).
fn misspelt_within(len: usize) -> usize {
    if len <= 5 {
        1
    } else {
        MISSPELT
    }
}

/// `Name` or `Name (Alias)` when the alias is what the user's text is nearest to.
fn shown_with(name: &str, alias: &str) -> String {
    if alias == name {
        name.to_owned()
    } else {
        format!("{name} ({alias})")
    }
}

/// What kind of organisation a party is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartyInfo {
    /// Its name.
    pub name: String,
    /// Its organisation number, validated.
    pub org: Option<OrgNumber>,
    /// Municipality, region, federation, other.
    pub kind: String,
    /// When it joined (None: from the start).
    pub joined: Option<NaiveDate>,
    /// Who approved its entry.
    pub approved_by: Vec<PartyId>,
    /// When it gave notice.
    pub notice_given: Option<NaiveDate>,
    /// Its roles: coordinator, operator, manager.
    pub roles: Vec<String>,
    /// Its postal address, when given.
    pub address: Option<PostalAddress>,
    /// The reference it wants on its invoices ("Er referens").
    pub buyer_reference: Option<String>,
    /// Its Peppol e-invoice address `scheme:id`; by default `0007:` + the organisation number.
    pub peppol_id: Option<String>,
    /// An e-mail address for invoices.
    pub email: Option<String>,
    /// What an e-invoice to this party would lack (organisation number, address, buyer
    /// reference), each located at its cell: an error on `issue`, a warning on a draft.
    /// Keyed by the column at fault.
    pub e_invoice_gaps: Vec<(String, Problem)>,
    /// Where its row is, e.g. `Parties!A5`.
    pub place: String,
    /// The cell of each column of its row, by column name (`joined` → `Parties!G5`): where a
    /// problem of the engine about one of its fields is shown.
    pub cells: BTreeMap<&'static str, String>,
}

/// A postal address as read from the Parties sheet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PostalAddress {
    /// Street and number, or box.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// City (postort).
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// The agreement's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The agreement's name.
    pub name: String,
    /// The issuing coordinator.
    pub issuer: PartyId,
    /// The first day of the agreement.
    pub start: Option<NaiveDate>,
    /// The currency.
    pub currency: Currency,
    /// Billing period starts.
    pub periods: PeriodStarts,
    /// The correction policy.
    pub correction: CorrectionPolicy,
    /// Days to pay.
    pub payment_days: u32,
    /// VAT of user fees.
    pub fee_vat: VatRate,
    /// Round payable totals to whole kronor.
    pub round_totals: bool,
    /// How the annual fee from a budget is kept (R5): öre, kronor or exact.
    pub fee_rounding: FeePolicy,
    /// The most parties allowed.
    pub member_limit: Option<u64>,
    /// First-year multiplier.
    pub first_year_multiplier: Decimal,
    /// Months of notice.
    pub notice_months: u32,
    /// The first invoice number of the series.
    pub first_invoice_number: u64,
    /// Whether OCR references carry a length digit.
    pub ocr_length_digit: bool,
    /// The issuer's bankgiro.
    pub bankgiro: Option<String>,
    /// A given annual fee, instead of a budget.
    pub annual_fee: Option<Sourced<Money>>,
    /// The transactions file, as written in the workbook (relative to its folder).
    pub transactions_file: Option<String>,
    /// How transactions are billed.
    pub transactions_period: crate::transactions::BillingPeriod,
    /// The VAT of transaction lines.
    pub transactions_vat: VatRate,
    /// Whether the issuer is approved for F-tax.
    pub f_tax: bool,
    /// The issuer's contact ("Vår referens").
    pub our_reference: Option<String>,
    /// Why 0 % lines carry no VAT, in words; `None`: the default of the document's language.
    pub vat_exemption_reason: Option<String>,
    /// The language of every document written (invoices, overview, audit workbook).
    pub language: Language,
}

/// The settings as read: a default in place of each value that could not be read.
struct ReadSettings {
    settings: Settings,
    /// Every value could be read: the settings may be used to compute.
    complete: bool,
    /// The issuer could be read (else `settings.issuer` is a stand-in).
    issuer_read: bool,
    /// The start could be read (else `settings.start` is none, and what the core says of a
    /// missing start is not said).
    start_read: bool,
    /// The start, the notice period and the first-year multiplier could be read: the
    /// memberships may be checked (R8, R9, R14).
    memberships_read: bool,
    /// The billing period of transactions could be read: a transactions file may be priced.
    transactions_period_read: bool,
}

/// How much of the Parties sheet could be read.
struct PartiesRead {
    /// No row was left out for an id that could not be read.
    every_party: bool,
    /// Every party's joining date, approvals and notice could be read, and no row was left
    /// out (an id that could not be read, or used twice).
    every_term: bool,
    /// Every party's users could be read (else one holds a stand-in).
    every_users: bool,
    /// The text of each id that could not be read (none: the cell is empty or an error).
    unread_ids: Vec<Option<String>>,
}

/// The input as read, and how far it may be used.
struct ReadInput {
    input: Input,
    /// Every setting could be read: the input may be used to compute (if it has no error).
    complete: bool,
    /// The start could be read (else it is none in `input`, said at its cell).
    start_read: bool,
    /// Every value the memberships are made of could be read (the start, the notice period, the
    /// first-year multiplier, every party's id, joining date, approvals and notice): else the
    /// memberships are not checked, since what is said of them would follow from a cell said
    /// already (one party too few in a majority, a party leaving early).
    memberships_read: bool,
    /// Every party and every tariff could be read, and the billing period of transactions:
    /// else the transactions file of a refused input is not read, since its rows would be
    /// checked against parties and kinds that are missing only because their rows were not
    /// read ("unknown party" for a row that is fine).
    transactions_checkable: bool,
    /// The text of each Parties id that could not be read (none: the cell is empty or an
    /// error): a party named elsewhere that is unknown may be one of them.
    unread_ids: Vec<Option<String>>,
    /// The text of each setting's value as found (`12 000`), from the row read (the last, when
    /// a setting is given twice), as the cell in `input.setting_cells`.
    setting_texts: BTreeMap<&'static str, String>,
}

/// A cooperation with its fee and what the fee covers (R13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CooperationInput {
    /// The cooperation (member limit checked).
    pub cooperation: Cooperation,
    /// The fee per year, if charged.
    pub fee: Option<Money>,
    /// The year of the fee.
    pub year: Option<i32>,
    /// The invoice dates of the fee.
    pub due: Vec<NaiveDate>,
    /// What the fee covers: counted kind priced as another.
    pub covers: Vec<CoveredCost>,
    /// Where its row is.
    pub place: String,
}

/// A pool as read, with its due dates and VAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolInput {
    /// The pool.
    pub pool: Pool,
    /// The invoice dates it is billed on (instalments when several).
    pub due: Vec<NaiveDate>,
    /// Its VAT rate.
    pub vat: VatRate,
    /// The period it pays for (`period_from`..`period_to`), printed on its invoice lines.
    pub period: Option<Period>,
    /// Where its row is.
    pub place: String,
    /// The cell of each column of its row, by column name (`amount` → `Pools!C5`): where a
    /// problem of the engine about one of its fields is shown.
    pub cells: BTreeMap<&'static str, String>,
}

/// A budget and, when given, its user count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetInput {
    /// The budget.
    pub budget: Budget,
    /// N, when given in the sheet rather than counted from the register.
    pub users: Option<u64>,
}

/// Everything read from one agreement workbook, validated.
#[derive(Clone, Debug)]
pub struct Input {
    /// The file or folder read.
    pub path: std::path::PathBuf,
    /// The settings.
    pub settings: Settings,
    /// The parties as billing-core sees them.
    pub agreement: Agreement,
    /// What else is known of each party.
    pub parties: BTreeMap<PartyId, PartyInfo>,
    /// The pools.
    pub pools: Vec<PoolInput>,
    /// The budgets, by the day they apply from.
    pub budgets: Vec<BudgetInput>,
    /// The user register.
    pub registrations: Vec<Registration>,
    /// User counts, instead of a register.
    pub user_counts: Vec<UserCount>,
    /// The LOU thresholds.
    pub thresholds: ThresholdTable,
    /// Providers' costs (R10).
    pub provider_costs: Vec<ProviderCost>,
    /// Transaction tariffs (R11), when the workbook has them.
    pub tariffs: Option<TariffTable>,
    /// Cooperations (R13).
    pub cooperations: Vec<CooperationInput>,
    /// Where invoices are booked (the Accounts sheet; empty: the BAS defaults).
    pub accounts: crate::accounts::Accounts,
    /// The transactions file to bill (R11): `transactions_file` resolved against the workbook's
    /// folder, or the file given on the command line.
    pub transactions_path: Option<std::path::PathBuf>,
    /// The what-if scenarios of the Scenarios sheet, by name in the order first met.
    pub scenarios: Vec<billing_core::year::Scenario>,
    /// Where each sheet was read, by the sheet's name as its source references give it: for
    /// pointing a problem the core finds about a field of a row at that field's cell.
    pub places: BTreeMap<String, SheetPlace>,
    /// The cell of each setting's value (`issuer` → `Settings!B3`).
    pub setting_cells: BTreeMap<&'static str, String>,
}

/// An agreement read by [`load_checked`]: the input and the agreement model its check found
/// valid, kept together so that they cannot disagree. The input can be read, not changed
/// (computing takes the model, not the input's fields), except the transactions file, which the
/// model does not hold; a caller that wants to change the input takes it out
/// ([`Loaded::into_input`]) and computes it with [`crate::compute::compute`], which checks the
/// model made of it again.
#[derive(Debug)]
pub struct Loaded {
    /// The input, its user register moved into the model (not copied: at 2,000,000
    /// registrations a copy is about 270 MB).
    input: Input,
    /// The model of `input`, checked, with its user register and without transactions.
    model: engine::CheckedModel,
}

impl Loaded {
    /// The input as read, without its user register (which is the model's).
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// The agreement model of the input, as [`load_checked`] checked it (with the user
    /// register, without the transactions).
    pub fn model(&self) -> &engine::CheckedModel {
        &self.model
    }

    /// Bills the transactions of `path` instead of the workbook's file (the model does not hold
    /// the transactions: they are read when computing).
    pub fn set_transactions_path(&mut self, path: std::path::PathBuf) {
        self.input.transactions_path = Some(path);
    }

    /// The input with its user register, the model given up.
    pub fn into_input(self) -> Input {
        let mut input = self.input;
        input.registrations = self.model.into_model().registrations;
        input
    }

    /// The input (without its user register) and the checked model, for computing
    /// ([`crate::compute::prepare_loaded`]).
    pub(crate) fn into_parts(self) -> (Input, engine::CheckedModel) {
        (self.input, self.model)
    }
}

/// Where a sheet was read: its file and the column letters of each known column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SheetPlace {
    /// The file that holds it (the workbook, or the CSV file in a folder).
    pub file: String,
    /// The letters of each column it has, by column name (`last_day` → `D`).
    pub columns: BTreeMap<&'static str, String>,
    /// Its rows are located by file and line, not by cell (a CSV file named by a setting).
    pub by_line: bool,
}

/// Reads and validates an agreement workbook (xlsx, ods, or a folder of CSV files). Returns the
/// input and its warnings, or every problem found (errors and warnings).
///
/// # Errors
/// Every problem of the workbook, when at least one is an error.
pub fn load(path: &Path) -> Result<(Input, Vec<Problem>), Vec<Problem>> {
    load_checked(path).map(|(loaded, warnings)| (loaded.into_input(), warnings))
}

/// As [`load`], keeping the agreement model that validating the workbook checked beside the
/// input, so that computing it ([`crate::compute::prepare_loaded`]) does not check it again.
///
/// # Errors
/// Every problem of the workbook, when at least one is an error, as [`load`].
pub fn load_checked(path: &Path) -> Result<(Loaded, Vec<Problem>), Vec<Problem>> {
    let mut problems = Problems::default();
    let mut source = read_source(path, &mut problems);
    attach_user_files(&mut source, &mut problems);
    headers_below_a_title(&mut source, &mut problems);
    if source.tables.is_empty() {
        if !problems.has_errors() {
            problems.file_error(&path.display().to_string(), "holds no sheets");
        }
        return Err(problems.into_vec());
    }
    let sheets = Sheets::locate(&source, &mut problems);
    let read = sheets.read(&source, &mut problems);
    let complete = read.as_ref().is_some_and(|r| r.complete);
    let mut input = None;
    let mut checked = None;
    // One validation: what is wrong with the agreement itself (not with reading a cell) is found
    // by the core's check of the model, and shown at the cell of the field at fault. The user
    // register is lent to the model and taken back, not copied (millions of rows).
    if let Some(mut read) = read {
        let registrations = std::mem::take(&mut read.input.registrations);
        let model = crate::model::model_with(&read.input, registrations, Vec::new(), Vec::new());
        // The memberships are checked only when every value they are made of could be read.
        // A model that passes the whole check is kept, proven checked, for computing, with the
        // register.
        let core = if read.memberships_read {
            match engine::CheckedModel::new(model) {
                Ok(model) => {
                    checked = Some(model);
                    Vec::new()
                }
                Err((model, problems)) => {
                    read.input.registrations = model.registrations;
                    problems
                }
            }
        } else if read.unread_ids.is_empty() {
            let problems = engine::check_except_memberships(&model);
            read.input.registrations = model.registrations;
            problems
        } else {
            // Some parties' ids could not be read (said at their cells): one check gives the
            // parties named that are unknown beside its problems, and those that may be one
            // of the unread parties are not said (see `may_be_unread`).
            let check = engine::check_with_unread_parties(&model);
            let mut named: BTreeSet<PartyId> = check.unknown().cloned().collect();
            named.extend(
                problems
                    .unknown_parties()
                    .filter_map(|id| PartyId::new(id).ok()),
            );
            let muted = may_be_unread(&read.unread_ids, &named);
            problems
                .drop_unknown_parties(|id| PartyId::new(id).is_ok_and(|id| muted.contains(&id)));
            let problems = check.problems(|id| muted.contains(id));
            read.input.registrations = model.registrations;
            problems
        };
        let annual_fee_text = read.setting_texts.get("annual_fee").cloned();
        for p in core {
            let fee_setting = matches!(
                (&p.subject, p.field),
                (engine::Subject::Agreement, Some("annual_fee"))
            );
            // A start that could not be read (said at its cell) is none in the model: that the
            // start is missing, or needed by a joining date, is not said again.
            if !read.start_read
                && matches!(
                    (&p.subject, p.field),
                    (engine::Subject::Agreement, Some("start"))
                        | (engine::Subject::Party(_), Some("joined"))
                )
            {
                continue;
            }
            // A cell that could not be read holds a stand-in: what the core says of it is not
            // said (a due date that cannot be read is not also "no due date").
            let mut p = crate::model::located(&read.input, &p);
            // The core knows the annual fee as an amount (`12000.00`): the value found is the
            // cell's own (`12000`).
            if p.found.is_some() && p.cell.is_some() && fee_setting {
                p.found = annual_fee_text.clone();
            }
            if !problems.at_stand_in(&p) {
                problems.push(p);
            }
        }
        // The register is used when one is given, and user counts beside it would be left out
        // without a word: an error at the first count.
        let register = checked
            .as_ref()
            .map_or(&read.input.registrations, |m| &m.model().registrations);
        if let (false, Some(c)) = (register.is_empty(), read.input.user_counts.first()) {
            problems.push(crate::model::at_source(
                &read.input,
                c.source.as_ref(),
                "user counts are given beside a user register, which is used instead: the \
                 counts would be left out; keep one of the two (empty the other)",
            ));
        }
        // The transactions file is read when the agreement is computed; an input refused for
        // other problems reads it here, so that its bad rows are said in the same run, unless
        // a party, a tariff or the billing period could not be read (its rows would be checked
        // against what is missing only for that, said already).
        if (problems.has_errors() || !complete) && read.transactions_checkable {
            for p in crate::compute::transaction_problems(&read.input) {
                problems.push(p);
            }
        }
        input = Some(read.input);
    }
    problems.collapse();
    match (input, checked) {
        // A complete input has every value the memberships are made of, so it was checked whole.
        (Some(input), Some(model)) if complete && !problems.has_errors() => {
            Ok((Loaded { input, model }, problems.into_vec()))
        }
        _ => {
            // Every refusal names at least one problem: a part that could not be read without
            // saying why is still an error, never "0 error(s)" and exit 1.
            if !problems.has_errors() {
                problems.file_error(
                    &path.display().to_string(),
                    "the agreement could not be read, and no cell was found at fault: please \
                     report this with the file",
                );
            }
            Err(problems.into_vec())
        }
    }
}

/// Of the parties `named` in the input that the agreement does not know, those that may be one
/// of the Parties rows whose id could not be read (`unread`: each cell's text, none when it is
/// empty or an error value), and so are not said to be unknown: said, they would only repeat
/// the unread id. An id with text is matched by its letters and digits (`08/21` may be
/// `0821`), and stands for no other party: its text tells which party the row is. A row whose
/// id has no text (an empty cell, an error value) may be any one party, so the parties left
/// unmatched may all be those rows when they are no more than those rows. When they are more,
/// at least one of them is not one of the rows and which cannot be told: all are said, so
/// that an unknown party is never hidden, at the cost of saying one that may be a consequence.
fn may_be_unread(unread: &[Option<String>], named: &BTreeSet<PartyId>) -> BTreeSet<PartyId> {
    let letters = id_letters;
    let mut muted = BTreeSet::new();
    let mut any = 0usize;
    for text in unread {
        let text = text.as_deref().map(letters).unwrap_or_default();
        let matched: Vec<&PartyId> = named
            .iter()
            .filter(|id| !text.is_empty() && letters(id.as_str()) == text)
            .collect();
        if text.is_empty() {
            any += 1;
        }
        muted.extend(matched.into_iter().cloned());
    }
    let rest: Vec<&PartyId> = named.iter().filter(|id| !muted.contains(*id)).collect();
    if rest.len() <= any {
        muted.extend(rest.into_iter().cloned());
    }
    muted
}

/// The FixedAmounts rows of one pool that could not be read, or that give a party twice: said
/// at their cells. What the core says of the pool's sum, or of a party without an amount,
/// could follow from such a row and is not said again (see [`stand_in_fixed`]), except an
/// excess that no such row can account for ([`UnreadFixed::certain_excess`]).
#[derive(Debug, Default)]
struct UnreadFixed {
    /// The text of each row's party cell that could not be read (none when empty or an error
    /// value).
    parties: Vec<Option<String>>,
    /// The party and the amount's cell of each row whose party was read but not its amount.
    amounts: Vec<(PartyId, billing_core::SourceRef)>,
    /// The party and amount of each row that gives a party a second amount (none: the amount
    /// could not be read).
    twice: Vec<(PartyId, Option<Money>)>,
    /// The place of each such row's cell at fault, in sheet order.
    rows: Vec<String>,
}

impl UnreadFixed {
    /// The problem of pool `id`, of `amount`, when the fixed `amounts` read already exceed it
    /// however the rows that could not be read are corrected. Each such row, once readable,
    /// holds an amount in the direction of the pool (a fixed amount must be above 0, and a
    /// credit's are all negative), or is deleted, or gives a party a second amount, and of a
    /// party given twice either row may be the one kept. So only what is certain is counted:
    /// of a party given twice, the smaller amount toward the pool, and nothing when one of its
    /// amounts cannot be read (it may be the one kept, as small as one öre). A row whose party
    /// cell cannot be read may name a party a second time: nothing is counted of the party
    /// its letters and digits match (`08:21` for 0821), and for an empty cell (or an error
    /// value) the largest amount left is not counted. Only participants of the pool that are
    /// parties of the agreement count: another party's row is an error of its own, fixed by
    /// moving or deleting it (review bad4 finding 1).
    fn certain_excess(
        &self,
        id: &str,
        amounts: &BTreeMap<PartyId, Sourced<Money>>,
        amount: Money,
        counted: impl Fn(&PartyId) -> bool,
    ) -> Option<String> {
        let toward = |m: Money| if amount.is_negative() { -m } else { m };
        let mut least: Vec<Money> = amounts
            .iter()
            .filter(|(party, _)| counted(party))
            .map(|(party, first)| {
                let named = self.parties.iter().flatten().any(|t| {
                    let t = id_letters(t);
                    !t.is_empty() && t == id_letters(party.as_str())
                });
                if named {
                    return Money::ZERO;
                }
                self.twice
                    .iter()
                    .filter(|(p, _)| p == party)
                    .map(|(_, m)| *m)
                    .try_fold(first.value, |a, b| {
                        b.map(|b| if toward(b) < toward(a) { b } else { a })
                    })
                    .map_or(Money::ZERO, toward)
            })
            .collect();
        least.sort();
        let empty = self
            .parties
            .iter()
            .filter(|t| t.as_deref().is_none_or(|t| id_letters(t).is_empty()))
            .count();
        least.truncate(least.len().saturating_sub(empty));
        let least = least.into_iter().sum::<Money>();
        let over = least - toward(amount);
        (over > Money::ZERO).then(|| {
            let least = toward(least);
            format!(
                "pool {id}: the fixed amounts that could be read add up to {least}, the pool is \
                 {amount}: over by at least {over}, however the rows at {} are corrected",
                self.rows.join(", ")
            )
        })
    }
}

/// The fixed `amounts` of a pool (of `amount`) with FixedAmounts rows that could not be read
/// (`unread`), with a stand-in amount for each participant without one that may be such a row.
/// A row whose party was read but not its amount stands for that party. A row whose party
/// could not be read stands by the rule of [`may_be_unread`]: a cell with text only for the
/// party its letters and digits match, an empty cell for any one party, and only while the
/// parties left are no more than the empty cells. Said to have no amount, those parties would
/// only repeat the unread row. When more participants lack an amount than the rows can be, all
/// of them are said: at least one of them is not such a row and which cannot be told, and the
/// unread rows are said beside them, so one unreadable row hides no independent missing amount.
/// Only parties of the agreement are counted: the core asks no amount of a participant that is
/// not one (said at the pool's participants), and a stand-in for it would be a second error.
/// Each stand-in is one öre in the direction of the pool (a credit's fixed amounts are
/// negative), so that the core finds nothing wrong with its value. The load is refused, so the
/// stand-ins are never computed with.
fn stand_in_fixed(
    mut amounts: BTreeMap<PartyId, Sourced<Money>>,
    unread: &UnreadFixed,
    participants: &Participants,
    parties: &BTreeSet<PartyId>,
    amount: Money,
) -> BTreeMap<PartyId, Sourced<Money>> {
    let value = Money::from_ore(if amount.is_negative() { -1 } else { 1 });
    for (party, source) in &unread.amounts {
        amounts.entry(party.clone()).or_insert(Sourced {
            value,
            source: Some(source.clone()),
        });
    }
    let named = match participants {
        Participants::All => parties.iter().collect::<Vec<_>>(),
        Participants::Only(ids) => ids.iter().filter(|p| parties.contains(*p)).collect(),
    };
    let without: BTreeSet<PartyId> = named
        .into_iter()
        .filter(|p| !amounts.contains_key(*p))
        .cloned()
        .collect();
    for party in may_be_unread(&unread.parties, &without) {
        amounts.insert(
            party,
            Sourced {
                value,
                source: None,
            },
        );
    }
    amounts
}

/// A problem with the header of column `i` of `table`, the header's text found. A table located
/// by line (a CSV file named by a setting) names the column and its text in the message, since
/// its place is only the line, and nothing found in a user register is shown (a header is no
/// user id).
fn header_problem(table: &Table, i: usize, message: String) -> Problem {
    let (sheet, cell) = table.place(table.header_row, i);
    let header = table.headers[i].clone();
    let message = if table.by_line {
        format!(
            "column {} ({header:?}): {message}",
            crate::input::column_letters(i as u32)
        )
    } else {
        message
    };
    Problem {
        severity: Severity::Error,
        file: table.file.clone(),
        sheet,
        cell,
        found: (!table.by_line).then_some(header),
        message,
    }
}

/// That column `i` of `table` has no header but holds values, the first on row `first`:
/// said at the header, with the first value's place (not its text: it may be a user's), and
/// the required columns `missing`, one of which it may be.
fn unnamed_column(table: &Table, i: usize, first: u32, missing: &[&str]) -> Problem {
    let (sheet, cell) = table.place(table.header_row, i);
    let (column, at) = if table.by_line {
        (
            format!("column {}: ", crate::input::column_letters(i as u32)),
            format!("line {first}"),
        )
    } else {
        (String::new(), table.cell_name(first, i))
    };
    let missing = if missing.is_empty() {
        String::new()
    } else {
        format!(" (missing: {})", missing.join(", "))
    };
    table_error(
        table,
        (sheet, cell),
        format!(
            "{column}the column has no header but holds values (first at {at}): give it its \
             name{missing}, or delete its values"
        ),
    )
}

/// "the columns of Pools are id, name, …", for a message.
fn columns_of(spec: &SheetSpec) -> String {
    format!(
        "the columns of {} are {}",
        spec.name,
        spec.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// An error of `table` at `place` (sheet and cell, or line), nothing found shown.
fn table_error(table: &Table, place: (Option<String>, Option<String>), message: String) -> Problem {
    Problem {
        severity: Severity::Error,
        file: table.file.clone(),
        sheet: place.0,
        cell: place.1,
        found: None,
        message,
    }
}

/// Each column of a table held whole that has no header (an empty header cell, or none: to
/// the right of the last header) but holds a value, with the row of its first value.
fn unnamed_columns(table: &Table) -> Vec<(usize, u32)> {
    let empty: Vec<usize> = (0..table.headers.len())
        .filter(|i| table.headers[*i].trim().is_empty())
        .collect();
    let mut first: BTreeMap<usize, u32> = BTreeMap::new();
    for r in &table.rows {
        for i in empty
            .iter()
            .copied()
            .chain(table.headers.len()..r.cells.len())
        {
            if !first.contains_key(&i)
                && r.cells.get(i).is_some_and(|c| !c.shown().trim().is_empty())
            {
                first.insert(i, r.number);
            }
        }
    }
    first.into_iter().collect()
}

/// A title or a note above a sheet's header row (`Parter 2010` in A1, the column names on
/// row 2) made every column missing, the sheet empty, and everything naming its rows
/// unknown. When the first row holds no column name of its sheet and one of the next rows
/// holds two or more, that row is taken as the header row, and the rows above it are one
/// error at the first value found. A row above that may be data (a sheet sorted together with
/// its header row) makes them all read as rows of the table, and the advice is to move the
/// column names back up, not to delete the rows, which would lose those rows without a word
/// on the next run. Only a row that cannot be data is a title or a note, to be deleted: one
/// value at most (`Parter 2010`), or values without a digit (`Kommunkod | Namn | Folkmängd`,
/// descriptions of the columns) in a shape no row below has. A data row holds an id, an
/// amount, a count or a date, and so a digit, or fills the same columns as another row: the
/// number of values alone does not tell, as the template's sheets have many optional columns
/// a row leaves empty (review bad4 finding 2). (A streamed file's first line is its header.)
fn headers_below_a_title(source: &mut Source, problems: &mut Problems) {
    for spec in SHEETS {
        let known = |h: &str| {
            spec.columns
                .iter()
                .any(|c| same_name(h, c.name) || c.aliases.iter().any(|a| same_name(h, a)))
        };
        for table in source.tables.iter_mut().filter(|t| {
            t.streamed.is_none()
                && (same_name(&t.sheet, spec.name)
                    || spec.aliases.iter().any(|a| same_name(&t.sheet, a)))
        }) {
            if table.headers.iter().any(|h| known(h)) {
                continue;
            }
            let names =
                |r: &crate::input::Row| r.cells.iter().filter(|c| known(&c.shown())).count();
            let Some(at) = table.rows.iter().take(5).position(|r| names(r) >= 2) else {
                continue;
            };
            let first = table.headers.iter().position(|h| !h.trim().is_empty());
            let title = first.map(|i| table.headers[i].clone()).unwrap_or_default();
            let (sheet, cell) = table.place(table.header_row, first.unwrap_or(0));
            let mut above: Vec<crate::input::Row> = table.rows.drain(..=at).collect();
            let Some(names) = above.pop() else {
                continue;
            };
            // The first row, as read for its column names, is a row like the others above.
            above.insert(
                0,
                crate::input::Row {
                    number: table.header_row,
                    cells: table
                        .headers
                        .iter()
                        .map(|h| match h.trim().is_empty() {
                            true => crate::input::Raw::Empty,
                            false => crate::input::Raw::Text(h.clone()),
                        })
                        .collect(),
                },
            );
            // The columns a row fills.
            let shape = |r: &crate::input::Row| -> Vec<usize> {
                (0..r.cells.len())
                    .filter(|i| !r.cells[*i].shown().trim().is_empty())
                    .collect()
            };
            let shapes: BTreeSet<Vec<usize>> = table.rows.iter().map(shape).collect();
            let data = above.iter().any(|r| {
                let filled = shape(r);
                filled.len() >= 2
                    && (r
                        .cells
                        .iter()
                        .any(|c| c.shown().chars().any(|ch| ch.is_ascii_digit()))
                        || shapes.contains(&filled))
            });
            let header = names.number;
            let message = if data {
                format!(
                    "the column names are on row {header}, not on the sheet's first row, and the \
                     row(s) above them hold values (was the sheet sorted with its header row?): \
                     move the column names back to the first row, keeping the rows above them"
                )
            } else {
                format!(
                    "the column names are on row {header}, not on the sheet's first row: \
                     delete the row(s) above them (a title or a note)"
                )
            };
            problems.push(Problem {
                severity: Severity::Error,
                file: table.file.clone(),
                sheet,
                cell,
                found: Some(title),
                message,
            });
            table.headers = names.cells.iter().map(crate::input::Raw::shown).collect();
            table.header_row = names.number;
            if data {
                above.append(&mut table.rows);
                table.rows = above;
            }
        }
    }
}

/// An id's letters and digits, in lower case: how an id that could not be read (`08/21`) is
/// matched with the party it may be (`0821`).
fn id_letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The user register (or the user counts) named by `users_file` (`user_counts_file`) in the
/// settings: a CSV file inside the workbook's folder, as the Users (UserCounts) table, its rows
/// streamed when read. A path leaving the folder, a file that is not there, and a table given
/// both as a sheet and as a file are errors at the setting's value.
fn attach_user_files(source: &mut Source, problems: &mut Problems) {
    let base = if source.path.is_dir() {
        source.path.clone()
    } else {
        source.path.parent().map(Path::to_owned).unwrap_or_default()
    };
    for (key, aliases, sheet) in crate::input::USER_FILE_SETTINGS {
        let Some((value, settings, cell)) =
            crate::input::setting_value(&source.tables, key, aliases)
        else {
            continue;
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            // An empty value is said at its cell by the settings reader.
            continue;
        }
        let at = |message: String| Problem {
            severity: Severity::Error,
            file: settings.file.clone(),
            sheet: Some(settings.sheet.clone()),
            cell: Some(cell.clone()),
            found: Some(value.clone()),
            message,
        };
        let relative = Path::new(&value);
        let file = base.join(relative);
        let inside = !relative.is_absolute()
            && relative.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
            // A link may still lead out of the folder.
            && match (file.canonicalize(), base.canonicalize()) {
                (Ok(f), Ok(b)) => f.starts_with(b),
                _ => true,
            };
        let names: Vec<&str> = SHEETS
            .iter()
            .filter(|spec| spec.name == *sheet)
            .flat_map(|spec| std::iter::once(spec.name).chain(spec.aliases.iter().copied()))
            .collect();
        let problem = if !inside {
            Some(at(format!(
                "{key} must name a file inside the workbook's folder ({}), relative to it: no \
                 absolute path, no .., no link leading out",
                base.display()
            )))
        } else if let Some(t) = source.tables.iter().find(|t| {
            names.iter().any(|n| same_name(&t.sheet, n)) && t.streamed.as_ref() != Some(&file)
        }) {
            Some(at(format!(
                "the {sheet} table is given twice, as the sheet {} ({}) and as {key}: keep one",
                t.sheet, t.file
            )))
        } else if !file.is_file() {
            Some(at(format!(
                "{key} names no file: {} is not there (the path is relative to the \
                 workbook's folder)",
                file.display()
            )))
        } else {
            None
        };
        if let Some(p) = problem {
            problems.push(p);
            continue;
        }
        if source
            .tables
            .iter()
            .any(|t| t.streamed.as_ref() == Some(&file))
        {
            continue;
        }
        if crate::input::is_user_sheet(sheet) {
            problems.private_file(&file.display().to_string());
        }
        if let Some(mut table) = crate::input::csv_header_table(&file, sheet, problems) {
            // Not a sheet of the workbook: its rows are located by file and line.
            table.by_line = true;
            source.tables.push(table);
        }
    }
}

/// The tables found for each sheet and the column index of each known header.
struct Sheets<'a> {
    found: BTreeMap<&'static str, (&'a Table, BTreeMap<&'static str, usize>)>,
}

impl<'a> Sheets<'a> {
    fn locate(source: &'a Source, problems: &mut Problems) -> Sheets<'a> {
        let file = source.path.display().to_string();
        let mut found = BTreeMap::new();
        // A table that is no sheet of the workbook is an error: a renamed sheet (`Poster` for
        // Pools) would otherwise be left out and its invoices silently not made. The template's
        // instructions and the transactions file beside the CSV tables are known.
        let transactions_stem = transactions_file_stem(source);
        for t in &source.tables {
            let known = SHEETS.iter().any(|spec| {
                same_name(&t.sheet, spec.name)
                    || spec.aliases.iter().any(|a| same_name(&t.sheet, a))
            }) || NOTE_SHEETS.iter().any(|n| same_name(&t.sheet, n))
                || transactions_stem
                    .as_deref()
                    .is_some_and(|stem| source.path.is_dir() && same_name(&t.sheet, stem));
            if !known {
                let nearest = nearest_name(
                    &t.sheet,
                    SHEETS.iter().flat_map(|spec| {
                        std::iter::once((spec.name, spec.name.to_owned()))
                            .chain(spec.aliases.iter().map(|a| (*a, shown_with(spec.name, a))))
                    }),
                )
                .unwrap_or_default();
                problems.push(Problem {
                    severity: Severity::Error,
                    file: t.file.clone(),
                    sheet: Some(t.sheet.clone()),
                    cell: None,
                    found: None,
                    message: format!(
                        "unknown sheet: did you mean {nearest}? rename it, or remove it from the \
                         workbook (the sheets are {})",
                        SHEETS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        for spec in SHEETS {
            let mut names = vec![spec.name];
            names.extend_from_slice(spec.aliases);
            let same: Vec<&Table> = source.tables_named(&names);
            if same.len() > 1 {
                problems.push(Problem {
                    severity: Severity::Error,
                    file: file.clone(),
                    sheet: Some(spec.name.to_owned()),
                    cell: None,
                    found: None,
                    message: format!(
                        "the sheet {} is given {} times ({}): keep one",
                        spec.name,
                        same.len(),
                        same.iter()
                            .map(|t| format!("{} in {}", t.sheet, t.file))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            let Some(table) = source.table(&names) else {
                // A file of that name that could not be read is said once, not again as missing.
                let unreadable = problems.list().iter().any(|p| {
                    p.severity == Severity::Error
                        && p.sheet.is_none()
                        && Path::new(&p.file).file_stem().is_some_and(|s| {
                            names.iter().any(|n| same_name(&s.to_string_lossy(), n))
                        })
                });
                if spec.required && !unreadable {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: file.clone(),
                        sheet: Some(spec.name.to_owned()),
                        cell: None,
                        found: None,
                        message: format!(
                            "the sheet {} is missing (also accepted: {})",
                            spec.name,
                            spec.aliases.join(", ")
                        ),
                    });
                }
                continue;
            };
            // A sheet left wholly empty (no header, no row: emptied, or all formulas saved
            // without results): one message rather than each of its columns said to be
            // missing. A required sheet is an error. So is Pools: an emptied Pools sheet would
            // issue invoices without a single pool, and an agreement without pools has no
            // Pools sheet to empty. Any other optional sheet is read as absent, with a warning
            // at it, since a sheet kept present was meant to hold something.
            if table.streamed.is_none()
                && table.rows.is_empty()
                && table.headers.iter().all(|h| h.trim().is_empty())
            {
                let place = (Some(table.sheet.clone()), None);
                if spec.required {
                    problems.push(table_error(
                        table,
                        place,
                        format!(
                            "the sheet is empty: it needs its header row and its rows ({})",
                            columns_of(spec)
                        ),
                    ));
                } else if spec.name == "Pools" {
                    problems.push(table_error(
                        table,
                        place,
                        format!(
                            "the sheet Pools is present but empty: no pools would be billed; \
                             write its header row and its pools ({}), or delete the sheet if \
                             the agreement has none",
                            columns_of(spec)
                        ),
                    ));
                } else {
                    problems.push(Problem {
                        severity: Severity::Warning,
                        ..table_error(
                            table,
                            place,
                            format!(
                                "the sheet {} is present but empty: nothing is read from it \
                                 (delete the sheet if that is meant)",
                                spec.name
                            ),
                        )
                    });
                }
                continue;
            }
            let mut columns = BTreeMap::new();
            // The required columns missing, named at a column without a header that holds
            // values (it may be one of them) rather than on their own.
            let mut unnamed_missing = Vec::new();
            let unnamed = unnamed_columns(table);
            let unnamed_values = !unnamed.is_empty();
            for c in spec.columns {
                let index = table.headers.iter().position(|h| {
                    same_name(h, c.name) || c.aliases.iter().any(|a| same_name(h, a))
                });
                match index {
                    Some(i) => {
                        columns.insert(c.name, i);
                        // A second column of the same meaning would be left unread: an error
                        // at each one after the first.
                        for (j, h) in table.headers.iter().enumerate().skip(i + 1) {
                            if same_name(h, c.name) || c.aliases.iter().any(|a| same_name(h, a)) {
                                let first = if table.by_line {
                                    format!("column {}", crate::input::column_letters(i as u32))
                                } else {
                                    table.cell_name(table.header_row, i)
                                };
                                problems.push(header_problem(
                                    table,
                                    j,
                                    format!(
                                        "the column {} is given twice (first at {first}): \
                                         delete one",
                                        c.name
                                    ),
                                ));
                            }
                        }
                    }
                    None if c.required && unnamed_values => unnamed_missing.push(c.name),
                    None if c.required
                        && !table.headers.iter().any(|h| {
                            RETIRED_HEADERS
                                .iter()
                                .any(|(old, col)| *col == c.name && same_name(h, old))
                        }) =>
                    {
                        let place = match table.place(table.header_row, 0) {
                            (None, line) => (None, line),
                            (sheet, _) => (sheet, Some(table.header_row.to_string())),
                        };
                        problems.push(table_error(
                            table,
                            place,
                            format!(
                                "the column {} is missing from the header row{}",
                                c.name,
                                if c.aliases.is_empty() {
                                    String::new()
                                } else {
                                    format!(" (also accepted: {})", c.aliases.join(", "))
                                }
                            ),
                        ))
                    }
                    None => {}
                }
            }
            for (i, h) in table.headers.iter().enumerate() {
                let known = spec
                    .columns
                    .iter()
                    .any(|c| same_name(h, c.name) || c.aliases.iter().any(|a| same_name(h, a)));
                let retired = RETIRED_HEADERS.iter().find(|(old, col)| {
                    same_name(h, old) && spec.columns.iter().any(|c| c.name == *col)
                });
                if let (false, Some((_, col))) = (known, retired) {
                    let aliases = spec
                        .columns
                        .iter()
                        .find(|c| c.name == *col)
                        .map(|c| c.aliases.join(" or "))
                        .unwrap_or_default();
                    problems.push(header_problem(
                        table,
                        i,
                        format!(
                            "\"{}\" means the payment due date, but this column holds the \
                             invoice date: rename the header to {col} (or {aliases})",
                            h.trim()
                        ),
                    ));
                    continue;
                }
                if !known && !h.trim().is_empty() {
                    let nearest = nearest_name(
                        h,
                        spec.columns.iter().flat_map(|c| {
                            std::iter::once((c.name, c.name.to_owned()))
                                .chain(c.aliases.iter().map(|a| (*a, shown_with(c.name, a))))
                        }),
                    )
                    .unwrap_or_default();
                    problems.push(header_problem(
                        table,
                        i,
                        format!(
                            "unknown column: did you mean {nearest}? rename it, or delete the \
                             column ({})",
                            columns_of(spec)
                        ),
                    ));
                }
            }
            // A column without a header (an empty or merged header cell, or none: values to
            // the right of the last header) is skipped when read: its values would be left
            // out without a word.
            for (i, first) in unnamed {
                problems.push(unnamed_column(table, i, first, &unnamed_missing));
            }
            found.insert(spec.name, (table, columns));
        }
        Sheets { found }
    }

    /// Calls `each` with every row of a sheet, with a lookup for its columns: a streamed
    /// table's rows one at a time as they are read from its file, never all at once.
    fn each_row(
        &self,
        sheet: &str,
        problems: &mut Problems,
        mut each: impl FnMut(&RowReader<'_>, &mut Problems),
    ) {
        let Some((table, columns)) = self.found.get(sheet) else {
            return;
        };
        let required: Vec<&'static str> = SHEETS
            .iter()
            .filter(|spec| spec.name == sheet)
            .flat_map(|spec| spec.columns.iter())
            .filter(|c| c.required)
            .map(|c| c.name)
            .collect();
        let required: std::rc::Rc<[&'static str]> = required.into();
        let columns = std::rc::Rc::new(columns.clone());
        // A streamed table's columns without a header are looked at as its rows are read
        // (a table held whole is, with its header, in `Sheets::locate`).
        let mut unnamed: Vec<usize> = match table.streamed {
            Some(_) => (0..table.headers.len())
                .filter(|i| table.headers[*i].trim().is_empty())
                .collect(),
            None => Vec::new(),
        };
        crate::input::stream_rows(table, problems, |table, row, problems| {
            unnamed.retain(|i| {
                let holds = row
                    .cells
                    .get(*i)
                    .is_some_and(|c| !c.shown().trim().is_empty());
                if holds {
                    problems.push(unnamed_column(table, *i, row.number, &[]));
                }
                !holds
            });
            each(
                &RowReader {
                    table,
                    row,
                    columns: columns.clone(),
                    required: required.clone(),
                },
                problems,
            );
        });
    }

    /// The rows of a sheet with a lookup for its columns.
    fn rows(&self, sheet: &str) -> Vec<RowReader<'a>> {
        match self.found.get(sheet) {
            Some((table, columns)) => {
                let required: Vec<&'static str> = SHEETS
                    .iter()
                    .filter(|spec| spec.name == sheet)
                    .flat_map(|spec| spec.columns.iter())
                    .filter(|c| c.required)
                    .map(|c| c.name)
                    .collect();
                let required: std::rc::Rc<[&'static str]> = required.into();
                // Shared by the rows, not copied into each (a register has millions).
                let columns = std::rc::Rc::new(columns.clone());
                table
                    .rows
                    .iter()
                    .map(|row| RowReader {
                        table,
                        row,
                        columns: columns.clone(),
                        required: required.clone(),
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }

    fn has(&self, sheet: &str) -> bool {
        self.found.contains_key(sheet)
    }

    /// The input, and how far it could be read: an incomplete one (a setting that could not be
    /// read) is only checked, never computed.
    fn read(&self, source: &Source, problems: &mut Problems) -> Option<ReadInput> {
        // Every sheet is checked even when Settings or Parties cannot be used, so that one
        // mistake there does not hide the others.
        let (settings, setting_cells) = self.settings(problems);
        let (agreement, parties, parties_read) = self.parties(problems);
        let thresholds = self.thresholds(problems);
        let known: BTreeSet<PartyId> = parties.keys().cloned().collect();
        // The issuer among the parties and the member limit are the core's checks
        // (`billing_core::engine::check`, run by `load`).
        let currency = settings
            .as_ref()
            .map_or(Currency::SEK, |s| s.settings.currency);
        let pools = self.pools(currency, parties_read.every_users, &known, problems);
        let budgets = self.budgets(problems);
        let registrations = self.registrations(problems);
        let user_counts = self.user_counts(problems);
        let provider_costs = self.provider_costs(problems);
        let (tariffs, every_tariff) = self.tariffs(problems);
        let cooperations = self.cooperations(problems);
        let scenarios = self.scenarios(&known, &pools, problems);
        let accounts = self.accounts(&pools, problems);
        // A cooperation's fee is a pool among its members, equal by default (R13).
        let mut pools = pools;
        for c in &cooperations {
            if let (Some(fee), Some(year)) = (c.fee, c.year) {
                // A member that is not a party is said once, of the cooperation (by the core's
                // check): the fee pool is shared by the members that are parties, and left out
                // when none is (the input is refused then).
                let members: Vec<PartyId> = c
                    .cooperation
                    .members()
                    .iter()
                    .filter(|m| known.contains(*m))
                    .cloned()
                    .collect();
                if members.is_empty() {
                    continue;
                }
                let pool = c
                    .cooperation
                    .fee_pool(fee, year, Key::Equal)
                    .shared_by(members)
                    .in_currency(currency);
                pools.push(PoolInput {
                    pool,
                    due: c.due.clone(),
                    vat: VatRate::Zero,
                    period: None,
                    place: c.place.clone(),
                    cells: BTreeMap::new(),
                });
            }
        }
        let base = if source.path.is_dir() {
            source.path.clone()
        } else {
            source.path.parent().map(Path::to_owned).unwrap_or_default()
        };
        let ReadSettings {
            mut settings,
            complete,
            issuer_read,
            start_read,
            memberships_read,
            transactions_period_read,
        } = settings?;
        let agreement = agreement?;
        if !issuer_read {
            // Said at its cell: any party stands in, so the issuer is not said again.
            if let Some(p) = agreement.parties().first() {
                settings.issuer = p.id.clone();
            }
        }
        let transactions_path = settings.transactions_file.as_ref().map(|f| base.join(f));
        let places = self
            .found
            .values()
            .map(|(table, columns)| {
                let columns = columns
                    .iter()
                    .map(|(name, i)| {
                        let cell = table.cell_name(table.header_row, *i);
                        let letters = cell.trim_end_matches(|c: char| c.is_ascii_digit());
                        (*name, letters.to_owned())
                    })
                    .collect();
                let place = SheetPlace {
                    file: table.file.clone(),
                    columns,
                    by_line: table.by_line,
                };
                (table.sheet.clone(), place)
            })
            .collect();
        let settings_sheet = self
            .found
            .get("Settings")
            .map_or("Settings", |t| t.0.sheet.as_str());
        let setting_texts = setting_cells
            .iter()
            .map(|(k, (_, text))| (*k, text.clone()))
            .collect();
        let setting_cells = setting_cells
            .into_iter()
            .map(|(k, (cell, _))| (k, format!("{settings_sheet}!{cell}")))
            .collect();
        Some(ReadInput {
            input: Input {
                path: source.path.clone(),
                settings,
                agreement,
                parties,
                pools,
                budgets,
                registrations,
                user_counts,
                thresholds,
                provider_costs,
                tariffs,
                cooperations,
                accounts,
                transactions_path,
                scenarios,
                places,
                setting_cells,
            },
            complete,
            start_read,
            memberships_read: memberships_read
                && parties_read.every_party
                && parties_read.every_term,
            transactions_checkable: transactions_period_read
                && parties_read.every_party
                && every_tariff,
            unread_ids: parties_read.unread_ids,
            setting_texts,
        })
    }

    /// The Scenarios sheet: each row one change, located; rows of one name combine.
    fn scenarios(
        &self,
        known: &BTreeSet<PartyId>,
        pools: &[PoolInput],
        problems: &mut Problems,
    ) -> Vec<billing_core::year::Scenario> {
        use billing_core::year::{Adjustment, Change, Scenario, ScenarioChange};
        let mut out: Vec<Scenario> = Vec::new();
        // (scenario, party, day) of joins and notices, for contradicting rows.
        let mut joins: BTreeMap<(String, PartyId, NaiveDate), String> = BTreeMap::new();
        let mut notices: BTreeMap<(String, PartyId, NaiveDate), String> = BTreeMap::new();
        let pool_ids: BTreeSet<&str> = pools.iter().map(|p| p.pool.id().as_ref()).collect();
        for r in self.rows("Scenarios") {
            let Some(name) = r.required_text("scenario", "scenario", problems) else {
                continue;
            };
            let Some(kind) = r.required_text("change", "change", problems) else {
                continue;
            };
            let err = |column: &str, message: String, problems: &mut Problems| {
                problems.push(r.cell(column).problem(Severity::Error, message, true));
            };
            let unknown = |column: &str, id: &str, message: String, problems: &mut Problems| {
                problems
                    .push_unknown_party(r.cell(column).problem(Severity::Error, message, true), id);
            };
            let member = |problems: &mut Problems| -> Option<PartyId> {
                let text = r.required_text("party", "party", problems)?;
                if r.cell("party").is_empty() {
                    return None;
                }
                let id = party_id(&r, "party", &text, problems)?;
                if !known.contains(&id) {
                    let hint = nearest_name(
                        id.as_str(),
                        known.iter().map(|k| (k.as_str(), k.to_string())),
                    )
                    .map_or(String::new(), |n| format!(" (did you mean {n}?)"));
                    unknown(
                        "party",
                        id.as_str(),
                        format!("unknown party {id}{hint}"),
                        problems,
                    );
                    return None;
                }
                Some(id)
            };
            let need = |column: &str, what: &str, problems: &mut Problems| {
                if r.cell(column).is_empty() {
                    err(
                        column,
                        format!("{what} is required for a change of this kind"),
                        problems,
                    );
                    true
                } else {
                    false
                }
            };
            let pool = |problems: &mut Problems| -> Option<billing_core::PoolId> {
                if need("pool", "the pool", problems) {
                    return None;
                }
                let id = r.text("pool", problems)?;
                if !pool_ids.contains(id.as_str()) {
                    let hint = nearest_name(&id, pool_ids.iter().map(|p| (*p, p.to_string())))
                        .map_or(String::new(), |n| format!(" (did you mean {n}?)"));
                    err("pool", format!("unknown pool {id}{hint}"), problems);
                    return None;
                }
                Some(id.as_str().into())
            };
            let day = |problems: &mut Problems| -> Option<NaiveDate> {
                if need("date", "the date", problems) {
                    return None;
                }
                r.date("date", "date", problems)
            };
            let adjustment = |problems: &mut Problems| -> Option<Adjustment> {
                match (r.cell("value").is_empty(), r.cell("per_cent").is_empty()) {
                    (false, true) => r.money("value", "value", problems).map(Adjustment::Amount),
                    (true, false) => r
                        .decimal("per_cent", "per_cent", problems)
                        .map(Adjustment::Percent),
                    (true, true) => {
                        err(
                            "value",
                            "an amount (value) or a per cent (per_cent) is required".to_owned(),
                            problems,
                        );
                        None
                    }
                    (false, false) => {
                        err(
                            "per_cent",
                            "give an amount (value) or a per cent (per_cent), not both".to_owned(),
                            problems,
                        );
                        None
                    }
                }
            };
            let source = |column: &str| Some(r.cell(column).source());
            let lower = kind.trim().to_lowercase();
            let change = match lower.as_str() {
                "join" | "inträde" => {
                    let id = r
                        .required_text("party", "party", problems)
                        .filter(|_| !need("party", "the new party's id", problems))
                        .and_then(|t| party_id(&r, "party", &t, problems));
                    if let Some(id) = id.as_ref().filter(|id| known.contains(*id)) {
                        err(
                            "party",
                            format!("{id} is already a party of the agreement"),
                            problems,
                        );
                    }
                    let d = day(problems);
                    let party_name = if need("name", "the new party's name", problems) {
                        None
                    } else {
                        r.text("name", problems)
                    };
                    let population = r.whole("population", "population", 1, problems);
                    let users = if need("users", "the new party's users", problems) {
                        None
                    } else {
                        r.whole("users", "users", 0, problems)
                    };
                    let approvals: Vec<PartyId> =
                        if need("approved_by", "the approving parties", problems) {
                            Vec::new()
                        } else {
                            let text = r.text("approved_by", problems).unwrap_or_default();
                            let ids: Vec<PartyId> = split_list(&text)
                                .filter_map(|s| party_id(&r, "approved_by", s, problems))
                                .collect();
                            for p in ids.iter().filter(|p| !known.contains(*p)) {
                                unknown(
                                    "approved_by",
                                    p.as_str(),
                                    format!("unknown party {p}"),
                                    problems,
                                );
                            }
                            ids
                        };
                    // The pools that name their participants which the party joins (R14);
                    // a pool shared by all takes it in without being named.
                    let mut joined: Vec<billing_core::PoolId> = Vec::new();
                    let mut pools_ok = true;
                    if !r.cell("pool").is_empty() {
                        let text = r.text("pool", problems).unwrap_or_default();
                        for p in split_list(&text) {
                            if !pool_ids.contains(p) {
                                let hint =
                                    nearest_name(p, pool_ids.iter().map(|x| (*x, x.to_string())))
                                        .map_or(String::new(), |n| format!(" (did you mean {n}?)"));
                                err("pool", format!("unknown pool {p}{hint}"), problems);
                                pools_ok = false;
                            } else if joined.iter().any(|j| j.as_ref() == p) {
                                err("pool", format!("pool {p} is named twice"), problems);
                                pools_ok = false;
                            } else {
                                joined.push(p.into());
                            }
                        }
                    }
                    match (
                        id.filter(|id| !known.contains(id) && pools_ok),
                        d,
                        party_name,
                        users,
                    ) {
                        (Some(id), Some(day), Some(party_name), Some(users)) => {
                            joins.insert((name.clone(), id.clone(), day), r.cell("date").name());
                            let mut party = Party::new(id, &party_name);
                            if let Some(p) = population {
                                party = party.with_population(p, Some(day));
                            }
                            Some((
                                Change::Join {
                                    party,
                                    day,
                                    users,
                                    approved_by: approvals,
                                    pools: joined,
                                },
                                source("date"),
                            ))
                        }
                        _ => None,
                    }
                }
                "notice" | "leave" | "uppsägning" | "utträde" => {
                    // A party that joins in the same scenario may give notice too.
                    let joining = r
                        .text("party", &mut Problems::default())
                        .and_then(|t| PartyId::new(t.trim()).ok())
                        .filter(|p| {
                            !known.contains(p) && joins.keys().any(|(s, j, _)| *s == name && j == p)
                        });
                    let party = match joining {
                        Some(p) => Some(p),
                        None => member(problems),
                    };
                    match (party, day(problems)) {
                        (Some(party), Some(day)) => {
                            notices
                                .insert((name.clone(), party.clone(), day), r.cell("date").name());
                            Some((Change::Notice { party, day }, source("date")))
                        }
                        _ => None,
                    }
                }
                "pool_amount" | "kostnadspost" => match (pool(problems), adjustment(problems)) {
                    (Some(pool), Some(by)) => {
                        Some((Change::PoolAmount { pool, by }, source("pool")))
                    }
                    _ => None,
                },
                "budget" => match (day(problems), adjustment(problems)) {
                    (Some(from), Some(by)) => Some((Change::Budget { from, by }, source("date"))),
                    _ => None,
                },
                "cap" | "tak" => {
                    let p = pool(problems);
                    let limit = if need("value", "the cap (an amount or lou)", problems) {
                        None
                    } else if r
                        .text("value", problems)
                        .is_some_and(|t| t.eq_ignore_ascii_case("lou"))
                    {
                        Some(CapLimit::Lou)
                    } else {
                        r.money("value", "value", problems).and_then(|m| {
                            if m.is_positive() {
                                Some(CapLimit::Fixed(m))
                            } else {
                                err("value", "a cap must be above 0".to_owned(), problems);
                                None
                            }
                        })
                    };
                    match (p, limit) {
                        (Some(pool), Some(limit)) => {
                            Some((Change::Cap { pool, limit }, source("pool")))
                        }
                        _ => None,
                    }
                }
                "excess" | "överskott" => {
                    let p = pool(problems);
                    let policy = if need("value", "the excess policy", problems) {
                        None
                    } else {
                        let text = r.text("value", problems).unwrap_or_default();
                        match written_excess(&text) {
                            Some(WrittenExcess::Redistribute) => Some(ExcessPolicy::Redistribute),
                            Some(WrittenExcess::Uncovered) => Some(ExcessPolicy::Uncovered),
                            Some(WrittenExcess::Absorb(who)) => match PartyId::new(who) {
                                Ok(id) if known.contains(&id) => Some(ExcessPolicy::Absorb(id)),
                                _ => {
                                    unknown("value", who, format!("unknown party {who}"), problems);
                                    None
                                }
                            },
                            None => {
                                err("value", "the excess policy must be absorb:<party>, redistribute or uncovered".to_owned(), problems);
                                None
                            }
                        }
                    };
                    match (p, policy) {
                        (Some(pool), Some(policy)) => {
                            Some((Change::Excess { pool, policy }, source("pool")))
                        }
                        _ => None,
                    }
                }
                "threshold" | "tröskelvärde" => {
                    let d = day(problems);
                    let amount = if need("value", "the threshold", problems) {
                        None
                    } else {
                        r.money("value", "value", problems).filter(|m| {
                            let ok = m.is_positive();
                            if !ok {
                                err(
                                    "value",
                                    format!("a threshold must be above 0, found {m}"),
                                    problems,
                                );
                            }
                            ok
                        })
                    };
                    match (d, amount) {
                        (Some(from), Some(amount)) => {
                            Some((Change::Threshold { from, amount }, source("date")))
                        }
                        _ => None,
                    }
                }
                "users" | "användare" => {
                    let (p, d) = (member(problems), day(problems));
                    let n = if need("value", "the number of users", problems) {
                        None
                    } else {
                        r.whole("value", "value", 0, problems)
                    };
                    match (p, d, n) {
                        (Some(party), Some(from), Some(users)) => {
                            Some((Change::Users { party, from, users }, source("date")))
                        }
                        _ => None,
                    }
                }
                "population" | "folkmängd" => {
                    let p = member(problems);
                    let n = if need("value", "the population", problems) {
                        None
                    } else {
                        r.whole("value", "value", 1, problems)
                    };
                    match (p, n) {
                        (Some(party), Some(population)) => {
                            Some((Change::Population { party, population }, source("party")))
                        }
                        _ => None,
                    }
                }
                "key" | "nyckel" => {
                    let p = pool(problems);
                    let key = if need("value", "the key", problems) {
                        None
                    } else {
                        let text = r.text("value", problems).unwrap_or_default();
                        let (k, arg) = match text.split_once(':') {
                            Some((a, b)) => (a.trim().to_lowercase(), Some(b.trim().to_owned())),
                            None => (text.trim().to_lowercase(), None),
                        };
                        let key = match (k.as_str(), arg) {
                            ("population" | "folkmängd", None) => Some(Key::Population),
                            ("users" | "användare", None) => {
                                Some(Key::Users { total_users: None })
                            }
                            ("equal" | "lika", None) => Some(Key::Equal),
                            ("weight" | "vikt", Some(figure)) => Some(Key::Weight { figure }),
                            ("direct" | "direkt", Some(who)) => PartyId::new(&who)
                                .ok()
                                .filter(|id| known.contains(id))
                                .map(|party| Key::Direct { party }),
                            _ => None,
                        };
                        if key.is_none() {
                            err("value", "a scenario's key must be population, users, equal, weight:<figure> or direct:<party>".to_owned(), problems);
                        }
                        key
                    };
                    match (p, key) {
                        (Some(pool), Some(key)) => {
                            Some((Change::Key { pool, key }, source("pool")))
                        }
                        _ => None,
                    }
                }
                _ => {
                    err(
                        "change",
                        "change must be join, notice, pool_amount, budget, cap, excess, threshold, users, population or key".to_owned(),
                        problems,
                    );
                    None
                }
            };
            let Some((change, source)) = change else {
                continue;
            };
            let change = ScenarioChange::new(change, source);
            match out.iter_mut().find(|s| s.name == name) {
                Some(s) => s.changes.push(change),
                None => out.push(Scenario::new(&name, vec![change])),
            }
        }
        // Contradicting rows: a party that joins and gives notice on the same day.
        for ((scenario, party, day), cell) in &notices {
            if let Some(join_cell) = joins.get(&(scenario.clone(), party.clone(), *day)) {
                if let Some(table) = self.found.get("Scenarios").map(|t| &t.0) {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: table.file.clone(),
                        sheet: Some(table.sheet.clone()),
                        cell: Some(cell.clone()),
                        found: Some(day.to_string()),
                        message: format!(
                            "scenario {scenario}: {party} joins ({join_cell}) and gives notice on the same day {day}"
                        ),
                    });
                }
            }
        }
        out
    }

    /// The Accounts sheet: every `what` a pool id of the Pools sheet or one of
    /// [`crate::accounts::NAMES`], given once; every account four BAS digits.
    fn accounts(&self, pools: &[PoolInput], problems: &mut Problems) -> crate::accounts::Accounts {
        let mut out = crate::accounts::Accounts::default();
        for r in self.rows("Accounts") {
            let what = r.required_text("what", "what", problems);
            let account = r.required_text("account", "account", problems);
            let cost_centre = r
                .text("cost_centre", problems)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty());
            let name = r
                .text("name", problems)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty());
            let what = what.map(|w| w.trim().to_owned()).and_then(|w| {
                let lower = w.to_lowercase();
                if crate::accounts::NAMES.contains(&lower.as_str()) {
                    Some(lower)
                } else if pools.iter().any(|p| p.pool.id().as_ref() == w) {
                    Some(w)
                } else {
                    let nearest = nearest_name(
                        &w,
                        crate::accounts::NAMES
                            .iter()
                            .map(|n| (*n, (*n).to_owned()))
                            .chain(
                                pools
                                    .iter()
                                    .map(|p| (p.pool.id().as_ref(), p.pool.id().to_string())),
                            ),
                    )
                    .map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                    problems.push(r.cell("what").problem(
                        Severity::Error,
                        format!(
                            "neither a pool id of the Pools sheet nor one of {}{nearest}",
                            crate::accounts::NAMES.join(", ")
                        ),
                        true,
                    ));
                    None
                }
            });
            let account = account.and_then(|a| match crate::sie::Account::new(&a) {
                Ok(a) => Some(a),
                Err(e) => {
                    problems.push(
                        r.cell("account")
                            .problem(Severity::Error, e.to_string(), true),
                    );
                    None
                }
            });
            if let (Some(what), Some(account)) = (what, account) {
                let place = r.cell("what").source().to_string();
                if let Some(first) = out.rows.get(&what) {
                    problems.push(r.cell("what").problem(
                        Severity::Error,
                        format!(
                            "{what} is given an account twice (first at {})",
                            first.place
                        ),
                        true,
                    ));
                    continue;
                }
                out.rows.insert(
                    what,
                    crate::accounts::AccountRow {
                        account,
                        cost_centre,
                        name,
                        place,
                    },
                );
            }
        }
        out
    }

    /// The settings (none only when the Settings sheet holds nothing to start from), and the
    /// cell of each setting's value (for problems found later).
    fn settings(
        &self,
        problems: &mut Problems,
    ) -> (
        Option<ReadSettings>,
        BTreeMap<&'static str, (String, String)>,
    ) {
        let mut values: BTreeMap<&'static str, RowReader<'a>> = BTreeMap::new();
        let mut misspelt: BTreeSet<String> = BTreeSet::new();
        for r in self.rows("Settings") {
            let Some(name) = r.text("setting", problems) else {
                continue;
            };
            let known = SETTINGS.iter().find(|(n, aliases, _)| {
                same_name(&name, n) || aliases.iter().any(|a| same_name(&name, a))
            });
            match known {
                Some((n, _, _)) => {
                    if values.insert(n, r.clone()).is_some() {
                        problems.push(r.cell("setting").problem(
                            Severity::Error,
                            format!("the setting {n} is given twice"),
                            true,
                        ));
                    }
                }
                None => {
                    let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count();
                    let (distance, (nearest, meant, len)) = nearest(
                        &name,
                        SETTINGS.iter().flat_map(|(n, aliases, _)| {
                            std::iter::once((*n, ((*n).to_owned(), *n, letters(n)))).chain(
                                aliases
                                    .iter()
                                    .map(|a| (*a, (shown_with(n, a), *n, letters(a)))),
                            )
                        }),
                    )
                    .unwrap_or_default();
                    // The setting it was likely meant as, when near enough to be a slip (one
                    // edit for a short name: `strat`), is not said again to be missing: a note
                    // (`status`, `note`) is no setting, and "start is missing" ("name is
                    // missing") is still said beside it.
                    if distance <= misspelt_within(len) {
                        misspelt.insert(meant.to_owned());
                    }
                    problems.push(r.cell("setting").problem(
                        Severity::Error,
                        format!(
                            "unknown setting: did you mean {nearest}? correct it, or delete the \
                             row (the settings are listed in the template's Instructions sheet)"
                        ),
                        true,
                    ));
                    continue;
                }
            }
            // An empty value (or a formula whose result was never saved) would silently mean
            // the default, or stop the run without a word.
            let value = r.cell("value");
            if value.is_empty() {
                let canonical = known.map_or("", |(n, _, _)| *n);
                if !MAY_BE_EMPTY.contains(&canonical) {
                    problems.push(value.problem(
                        Severity::Error,
                        format!(
                            "the setting {canonical} has no value (a formula without a saved \
                             result reads as empty): write its value, or delete the row to use \
                             the default"
                        ),
                        false,
                    ));
                }
            }
        }
        let text = |key: &str, problems: &mut Problems| {
            values.get(key).and_then(|r| r.text("value", problems))
        };
        let missing = |key: &str, problems: &mut Problems| {
            if values.contains_key(key) {
                // Its row is there with an empty value: said above, at its cell.
                return;
            }
            problems.push(Problem {
                severity: Severity::Error,
                file: self
                    .found
                    .get("Settings")
                    .map(|t| t.0.file.clone())
                    .unwrap_or_default(),
                sheet: Some("Settings".to_owned()),
                cell: None,
                found: None,
                message: format!("the setting {key} is required"),
            });
        };
        let name = text("name", problems);
        if name.is_none() && self.has("Settings") {
            missing("name", problems);
        }
        let issuer = match text("issuer", problems) {
            Some(id) => party_id(&values["issuer"], "value", &id, problems),
            None => {
                if self.has("Settings") {
                    missing("issuer", problems);
                }
                None
            }
        };
        let start = values
            .get("start")
            .and_then(|r| r.date("value", "start", problems));
        let currency = match text("currency", problems) {
            Some(c) => match Currency::new(&c) {
                Ok(c) => Some(c),
                Err(_) => {
                    problems.push(values["currency"].cell("value").problem(
                        Severity::Error,
                        "currency must be a three-letter ISO code such as SEK",
                        true,
                    ));
                    None
                }
            },
            None => Some(Currency::SEK),
        };
        let periods = match text("period_starts", problems) {
            Some(t) => {
                let parsed: Option<Vec<(u32, u32)>> = t
                    .split([',', ';'])
                    .map(|s| {
                        let (m, d) = s.trim().split_once('-')?;
                        Some((m.trim().parse().ok()?, d.trim().parse().ok()?))
                    })
                    .collect();
                match parsed.and_then(|p| PeriodStarts::new(p).ok()) {
                    Some(p) => Some(p),
                    None => {
                        problems.push(values["period_starts"].cell("value").problem(
                            Severity::Error,
                            "period_starts must be MM-DD dates separated by commas, e.g. 01-01, 07-01",
                            true,
                        ));
                        None
                    }
                }
            }
            None => Some(PeriodStarts::half_years()),
        };
        let correction = match text("correction_policy", problems).as_deref() {
            None | Some("next_invoice_count") => Some(CorrectionPolicy::NextInvoiceCount),
            Some("pro_rata_days") => Some(CorrectionPolicy::ProRataDays),
            Some(_) => {
                problems.push(values["correction_policy"].cell("value").problem(
                    Severity::Error,
                    "correction_policy must be next_invoice_count or pro_rata_days",
                    true,
                ));
                None
            }
        };
        let fee_rounding = match text("fee_rounding", problems)
            .map(|t| t.trim().to_lowercase())
            .as_deref()
        {
            None | Some("öre" | "ore") => Some(FeePolicy::ORE),
            Some("kronor" | "krona") => Some(FeePolicy::KRONOR),
            Some("exakt" | "exact") => Some(FeePolicy::Exact),
            Some(_) => {
                problems.push(values["fee_rounding"].cell("value").problem(
                    Severity::Error,
                    "fee_rounding must be öre (the default), kronor or exakt (exact, not rounded)",
                    true,
                ));
                None
            }
        };
        let whole = |key: &str, default: u64, min: u64, problems: &mut Problems| {
            values
                .get(key)
                .map(|r| r.cell("value").whole(problems, key, min))
                .unwrap_or(Some(default))
        };
        // A setting kept in 32 bits: a larger number is an error at its cell, not a silence.
        let whole_u32 = |key: &str, default: u64, problems: &mut Problems| {
            let n = whole(key, default, 0, problems)?;
            match u32::try_from(n) {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(values[key].cell("value").problem(
                        Severity::Error,
                        format!("{key} must be a whole number of at most {}", u32::MAX),
                        true,
                    ));
                    None
                }
            }
        };
        let payment_days = whole_u32("payment_days", 30, problems);
        let notice_months = whole_u32("notice_months", 12, problems);
        let first_invoice_number = whole("first_invoice_number", 1, 1, problems).and_then(|n| {
            // The register numbers up to 10^12: a series must have room to run.
            if n >= 1_000_000_000_000 {
                if let Some(r) = values.get("first_invoice_number") {
                    problems.push(r.cell("value").problem(
                        Severity::Error,
                        "first_invoice_number must be below 10^12",
                        true,
                    ));
                }
                return None;
            }
            Some(n)
        });
        let member_limit = values
            .get("member_limit")
            .and_then(|r| r.cell("value").whole(problems, "member_limit", 1));
        let fee_vat = match values.get("fee_vat") {
            Some(r) => r.vat("value", "fee_vat", problems),
            None => Some(VatRate::Zero),
        };
        let yes_no = |key: &str, default: bool, problems: &mut Problems| {
            values
                .get(key)
                .map(|r| r.cell("value").yes_no(problems, key))
                .unwrap_or(Some(default))
        };
        let round_totals = yes_no("round_totals", false, problems);
        let ocr_length_digit = yes_no("ocr_length_digit", true, problems);
        let first_year_multiplier = match values.get("first_year_multiplier") {
            Some(r) => {
                let cell = r.cell("value");
                let value = cell.decimal(problems, "first_year_multiplier");
                if value.is_some_and(|d| d < Decimal::ONE) {
                    problems.push(cell.problem(
                        Severity::Error,
                        "first_year_multiplier must be a number of at least 1",
                        true,
                    ));
                }
                value.filter(|d| *d >= Decimal::ONE)
            }
            None => Some(Decimal::TWO),
        };
        let annual_fee = values.get("annual_fee").and_then(|r| {
            let c = r.cell("value");
            c.money(problems, "annual_fee").map(|m| Sourced {
                value: m,
                source: Some(c.source()),
            })
        });
        let transactions_period = match text("transactions_period", problems).as_deref() {
            // The Swedish words as the template's instructions name them.
            None | Some("month" | "månad") => Some(crate::transactions::BillingPeriod::Month),
            Some("half-year" | "halvår") => Some(crate::transactions::BillingPeriod::HalfYear),
            Some("year" | "år") => Some(crate::transactions::BillingPeriod::Year),
            Some(_) => {
                problems.push(values["transactions_period"].cell("value").problem(
                    Severity::Error,
                    "transactions_period must be month, half-year or year (månad, halvår, år)",
                    true,
                ));
                None
            }
        };
        let transactions_vat = match values.get("transactions_vat") {
            Some(r) => r.vat("value", "transactions_vat", problems),
            None => Some(VatRate::Zero),
        };
        let language = match text("language", problems).as_deref().map(str::trim) {
            None => Some(Language::Sv),
            Some(t) if t.eq_ignore_ascii_case("sv") || t.eq_ignore_ascii_case("svenska") => {
                Some(Language::Sv)
            }
            Some(t) if t.eq_ignore_ascii_case("en") || t.eq_ignore_ascii_case("english") => {
                Some(Language::En)
            }
            Some(_) => {
                problems.push(values["language"].cell("value").problem(
                    Severity::Error,
                    "language must be sv (Swedish, the default) or en (English)",
                    true,
                ));
                None
            }
        };
        let cells = values
            .iter()
            .map(|(k, r)| {
                let value = r.cell("value");
                (*k, (value.name(), value.raw().shown()))
            })
            .collect();
        let transactions_file = text("transactions_file", problems);
        let bankgiro = text("bankgiro", problems);
        let f_tax = yes_no("f_tax", false, problems);
        let our_reference = text("our_reference", problems);
        let vat_exemption_reason = text("vat_exemption_reason", problems);
        for (key, value) in [
            ("our_reference", &our_reference),
            ("vat_exemption_reason", &vat_exemption_reason),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.contains(['\n', '\r']) || v.chars().count() > MAX_LINE)
            {
                problems.push(values[key].cell("value").problem(
                    Severity::Error,
                    format!("{key} must be one line of at most {MAX_LINE} characters"),
                    false,
                ));
            }
        }
        // A value that could not be read (said at its cell) is replaced by its default, so that
        // the core's checks of the rest of the agreement still run: a Settings error must not
        // hide a bad cap or an unknown party elsewhere. Such settings are never used to compute
        // (`complete` is false and the load is refused). A start that could not be read is
        // none, never a date made up: memberships counted from it would be wrong, and what the
        // core says of a missing start is not said (see `load`).
        let complete = transactions_period.is_some()
            && transactions_vat.is_some()
            && name.is_some()
            && issuer.is_some()
            && currency.is_some()
            && periods.is_some()
            && correction.is_some()
            && payment_days.is_some()
            && fee_vat.is_some()
            && round_totals.is_some()
            && fee_rounding.is_some()
            && first_year_multiplier.is_some()
            && notice_months.is_some()
            && first_invoice_number.is_some()
            && ocr_length_digit.is_some()
            && f_tax.is_some()
            && language.is_some();
        // The start is also unread when an unknown setting was likely meant as it (said at
        // its cell, "did you mean start?"): that the start is missing would repeat it.
        let start_unread = start.is_none()
            && (values.contains_key("start")
                || !self.has("Settings")
                || misspelt.contains("start"));
        let issuer_read = issuer.is_some();
        let memberships_read =
            !start_unread && notice_months.is_some() && first_year_multiplier.is_some();
        let transactions_period_read = transactions_period.is_some();
        // A stand-in for an issuer that could not be read: replaced by a party's id once the
        // parties are known (see [`Sheets::read`]).
        let settings = issuer
            .or_else(|| PartyId::new("-").ok())
            .map(|issuer| Settings {
                transactions_file,
                transactions_period: transactions_period
                    .unwrap_or(crate::transactions::BillingPeriod::Month),
                transactions_vat: transactions_vat.unwrap_or(VatRate::Zero),
                name: name.unwrap_or_default(),
                issuer,
                start,
                currency: currency.unwrap_or(Currency::SEK),
                periods: periods.unwrap_or_else(PeriodStarts::half_years),
                correction: correction.unwrap_or(CorrectionPolicy::NextInvoiceCount),
                payment_days: payment_days.unwrap_or(30),
                fee_vat: fee_vat.unwrap_or(VatRate::Zero),
                round_totals: round_totals.unwrap_or(false),
                fee_rounding: fee_rounding.unwrap_or(FeePolicy::ORE),
                member_limit,
                first_year_multiplier: first_year_multiplier.unwrap_or(Decimal::TWO),
                notice_months: notice_months.unwrap_or(12),
                first_invoice_number: first_invoice_number.unwrap_or(1),
                ocr_length_digit: ocr_length_digit.unwrap_or(true),
                bankgiro,
                annual_fee,
                f_tax: f_tax.unwrap_or(false),
                our_reference,
                vat_exemption_reason,
                language: language.unwrap_or(Language::Sv),
            });
        let read = settings.map(|settings| ReadSettings {
            settings,
            complete,
            issuer_read,
            start_read: !start_unread,
            memberships_read,
            transactions_period_read,
        });
        (read, cells)
    }

    /// The parties, their details, and how much of them could be read (see [`PartiesRead`]).
    fn parties(
        &self,
        problems: &mut Problems,
    ) -> (Option<Agreement>, BTreeMap<PartyId, PartyInfo>, PartiesRead) {
        let mut list = Vec::new();
        let mut info = BTreeMap::new();
        let mut read = PartiesRead {
            every_party: true,
            every_term: true,
            every_users: true,
            unread_ids: Vec::new(),
        };
        let rows = self.rows("Parties");
        for r in &rows {
            let Some(id) = r.required_text("id", "id", problems) else {
                read.every_party = false;
                read.unread_ids.push(None);
                continue;
            };
            let Some(id) = party_id(r, "id", &id, problems) else {
                read.every_party = false;
                read.unread_ids.push(Some(id));
                continue;
            };
            // The first row of the id is the one its information was read from (every row
            // read is kept there, none is dropped after this point).
            if let Some(first) = info.get(&id).map(|i: &PartyInfo| &i.place) {
                problems.push(r.cell("id").problem(
                    Severity::Error,
                    format!("the party id is used twice (first at {first})"),
                    true,
                ));
                // The terms of the row dropped are not known.
                read.every_term = false;
                continue;
            }
            let name = r
                .required_text("name", "name", problems)
                .unwrap_or_default();
            let mut party = Party::new(id.clone(), &name);
            // A figure that cannot be read (said at its cell) has a stand-in, so that a pool
            // split by it does not say again that it is missing; the load is refused, so the
            // stand-in is never computed with.
            let figure = |column: &str, min: u64, problems: &mut Problems, stood_in: &mut bool| {
                let read = r.whole(column, column, min, problems);
                if read.is_some() || r.cell(column).is_empty() {
                    return read;
                }
                problems.stand_in(&r.cell(column).problem(Severity::Error, "", false));
                *stood_in = true;
                Some(min.max(1))
            };
            if let Some(count) = figure("population", 1, problems, &mut false) {
                party.population = Some(Population {
                    count,
                    reference_date: r.date("population_date", "population_date", problems),
                    source: Some(r.cell("population").source()),
                });
            }
            let mut users_stood_in = false;
            if let Some(users) = figure("users", 0, problems, &mut users_stood_in) {
                read.every_users &= !users_stood_in;
                party.users = Some(Sourced {
                    value: users,
                    source: Some(r.cell("users").source()),
                });
            }
            let org = r
                .text("org_nr", problems)
                .and_then(|t| match OrgNumber::parse(&t) {
                    Ok(o) => Some(o),
                    Err(e) => {
                        problems.push(r.cell("org_nr").problem(
                            Severity::Error,
                            format!("not a valid organisation number: {e}"),
                            true,
                        ));
                        None
                    }
                });
            let roles: Vec<String> = r
                .text("roles", problems)
                .map(|t| split_list(&t).map(|s| s.to_lowercase()).collect())
                .unwrap_or_default();
            for role in &roles {
                if ![
                    "coordinator",
                    "operator",
                    "manager",
                    "samordnare",
                    "driftansvarig",
                    "förvaltare",
                ]
                .contains(&role.as_str())
                {
                    problems.push(r.cell("roles").problem(
                        Severity::Error,
                        "roles must be coordinator, operator or manager, separated by commas",
                        true,
                    ));
                }
            }
            let approved_text = r.text("approved_by", problems);
            let approved_by: Vec<PartyId> = approved_text
                .as_deref()
                .map(|t| {
                    split_list(t)
                        .filter_map(|s| party_id(r, "approved_by", s, problems))
                        .collect()
                })
                .unwrap_or_default();
            // Read in the order of the problems said before (contact, kind, joined, notice).
            let contact = party_contact(r, &id, &name, org.as_ref(), problems);
            let kind = r
                .text("kind", problems)
                .unwrap_or_else(|| "municipality".to_owned());
            let joined = r.date("joined", "joined", problems);
            let notice_given = r.date("notice_given", "notice_given", problems);
            let unread = |column: &str, read: bool| !read && !r.cell(column).is_empty();
            if unread("joined", joined.is_some())
                || unread("notice_given", notice_given.is_some())
                || unread(
                    "approved_by",
                    approved_text
                        .as_deref()
                        .is_some_and(|t| split_list(t).count() == approved_by.len()),
                )
            {
                read.every_term = false;
            }
            info.insert(
                id.clone(),
                PartyInfo {
                    address: contact.address,
                    buyer_reference: contact.buyer_reference,
                    peppol_id: contact.peppol_id,
                    email: contact.email,
                    e_invoice_gaps: contact.gaps,
                    name,
                    org,
                    kind,
                    joined,
                    approved_by,
                    notice_given,
                    roles,
                    place: r.cell("id").source_text(),
                    cells: r.cells(),
                },
            );
            list.push(party);
        }
        for r in self.rows("Figures") {
            let (Some(party), Some(figure)) = (
                r.required_text("party", "party", problems),
                r.required_text("figure", "figure", problems),
            ) else {
                continue;
            };
            // A value that cannot be read (said at its cell) has a stand-in, as a population.
            let mut value = r.decimal("value", "value", problems);
            if value.is_none() && !r.cell("value").is_empty() {
                problems.stand_in(&r.cell("value").problem(Severity::Error, "", false));
                value = Some(Decimal::ONE);
            }
            let Some(p) = list.iter_mut().find(|p| p.id.as_str() == party) else {
                problems.push_unknown_party(
                    r.cell("party")
                        .problem(Severity::Error, "unknown party", true),
                    &party,
                );
                continue;
            };
            if let Some(first) = p.figures.get(&figure) {
                problems.push(r.cell("figure").problem(
                    Severity::Error,
                    format!(
                        "party {party} has the figure {figure} twice (first at {})",
                        first.source.as_ref().map(|s| s.as_str()).unwrap_or("?")
                    ),
                    true,
                ));
                continue;
            }
            if let Some(value) = value {
                p.figures.insert(
                    figure,
                    Sourced {
                        value,
                        source: Some(r.cell("value").source()),
                    },
                );
            }
        }
        if list.is_empty() && self.has("Parties") {
            problems.push(Problem {
                severity: Severity::Error,
                file: self.found["Parties"].0.file.clone(),
                sheet: Some(self.found["Parties"].0.sheet.clone()),
                cell: None,
                found: None,
                message: "there are no parties".to_owned(),
            });
        }
        // No parties (the sheet missing, unreadable or empty, which is said already): nothing to
        // split, and every split would fail for that one reason.
        let agreement = if list.is_empty() {
            None
        } else {
            Agreement::new(list).ok()
        };
        (agreement, info, read)
    }

    fn thresholds(&self, problems: &mut Problems) -> ThresholdTable {
        let rows = self.rows("Thresholds");
        if rows.is_empty() {
            return ThresholdTable::swedish_lou();
        }
        // Each row's problem is said at its cell (a date given twice, an amount not above 0):
        // the table of the rows left is then not checked again as a whole, which would say
        // the same without a place, and the shipped table stands in (the load is refused).
        let mut sound = true;
        let mut seen: BTreeMap<NaiveDate, String> = BTreeMap::new();
        let entries: Vec<Threshold> = rows
            .iter()
            .filter_map(|r| {
                let from = r.date("in_force_from", "in_force_from", problems);
                let amount = r.money("amount", "amount", problems);
                if from.is_none() || amount.is_none() {
                    sound = false;
                }
                if let Some(a) = amount.filter(|a| !a.is_positive()) {
                    problems.push(r.cell("amount").problem(
                        Severity::Error,
                        format!("a threshold must be above 0, found {a}"),
                        false,
                    ));
                    sound = false;
                }
                if let Some(day) = from {
                    let place = r.cell("in_force_from").source().to_string();
                    if let Some(first) = seen.get(&day) {
                        problems.push(r.cell("in_force_from").problem(
                            Severity::Error,
                            format!("a threshold from {day} is given twice (first at {first})"),
                            true,
                        ));
                        sound = false;
                    } else {
                        seen.insert(day, place);
                    }
                }
                Some(Threshold {
                    in_force_from: from?,
                    amount: amount?,
                })
            })
            .collect();
        if !sound {
            return ThresholdTable::swedish_lou();
        }
        ThresholdTable::new(entries).unwrap_or_else(|e| {
            problems.push(Problem {
                severity: Severity::Error,
                file: self.found["Thresholds"].0.file.clone(),
                sheet: Some("Thresholds".to_owned()),
                cell: None,
                found: None,
                message: e.to_string(),
            });
            ThresholdTable::swedish_lou()
        })
    }

    /// The Pools sheet as read. What is wrong with a pool as part of the agreement (an id used
    /// twice, a due date before the start, a participant that is not a party, every problem of
    /// its split) is the core's check, run by `load` on the whole model.
    /// The pools; `users_read` is false when a party's users hold a stand-in (see
    /// [`Sheets::parties`]), which the pools' total_users are not compared against.
    fn pools(
        &self,
        currency: Currency,
        users_read: bool,
        parties: &BTreeSet<PartyId>,
        problems: &mut Problems,
    ) -> Vec<PoolInput> {
        let mut fixed: BTreeMap<String, BTreeMap<PartyId, Sourced<Money>>> = BTreeMap::new();
        // The cell of each pool's first row, and the rows of each pool that could not be read
        // or give a party twice (see `UnreadFixed`): what the core says of their sums would
        // follow from such a row, said already.
        let mut fixed_at: BTreeMap<String, Problem> = BTreeMap::new();
        let mut fixed_unread: BTreeMap<String, UnreadFixed> = BTreeMap::new();
        for r in self.rows("FixedAmounts") {
            let pool = r.required_text("pool", "pool", problems);
            let text = r.required_text("party", "party", problems);
            let party = text
                .as_deref()
                .and_then(|p| party_id(&r, "party", p, problems));
            let amount = r.money("amount", "amount", problems);
            let Some(pool) = pool else {
                continue;
            };
            fixed_at
                .entry(pool.clone())
                .or_insert_with(|| r.cell("pool").problem(Severity::Warning, "", true));
            let unread = fixed_unread.entry(pool.clone()).or_default();
            let Some(party) = party else {
                unread.parties.push(text);
                unread.rows.push(r.cell("party").source_text());
                continue;
            };
            // A party's second row: both are said, at the second's amount column.
            let amounts = fixed.entry(pool.clone()).or_default();
            let first = amounts
                .get(&party)
                .map(|f| (f.value.to_string(), f.source.as_ref().map(|s| s.as_str())))
                .or_else(|| {
                    let (_, at) = unread.amounts.iter().find(|(p, _)| *p == party)?;
                    Some((
                        "an amount that cannot be read".to_owned(),
                        Some(at.as_str()),
                    ))
                });
            if let Some((first, at)) = first {
                let here = amount.map_or("an amount that cannot be read".to_owned(), |a| {
                    a.to_string()
                });
                problems.push(r.cell("amount").problem(
                    Severity::Error,
                    format!(
                        "the fixed amount of party {party} for pool {pool} is given twice: {here} here, {first} at {}",
                        at.unwrap_or("?")
                    ),
                    false,
                ));
                unread.twice.push((party, amount));
                unread.rows.push(r.cell("amount").source_text());
                continue;
            }
            let Some(amount) = amount else {
                unread.amounts.push((party, r.cell("amount").source()));
                unread.rows.push(r.cell("amount").source_text());
                continue;
            };
            amounts.insert(
                party,
                Sourced {
                    value: amount,
                    source: Some(r.cell("amount").source()),
                },
            );
        }
        fixed_unread.retain(|_, u| !u.rows.is_empty());
        let mut out: Vec<PoolInput> = Vec::new();
        for r in self.rows("Pools") {
            let said = problems.list().len();
            let Some(id) = r.required_text("id", "id", problems) else {
                continue;
            };
            let place = r.cell("id").source().to_string();
            let name = r
                .required_text("name", "name", problems)
                .unwrap_or_default();
            let amount = r.money("amount", "amount", problems);
            let due = r.dates("due", problems);
            let key = r.required_text("key", "key", problems).and_then(|k| {
                let (kind, arg) = match k.split_once(':') {
                    Some((a, b)) => (a.trim().to_lowercase(), Some(b.trim().to_owned())),
                    None => (k.trim().to_lowercase(), None),
                };
                let key = match (kind.as_str(), arg) {
                    ("population" | "folkmängd", None) => Some(Key::Population),
                    ("users" | "användare", None) => Some(Key::Users {
                        total_users: r.whole("total_users", "total_users", 1, problems).map(|n| Sourced {
                            value: n,
                            source: Some(r.cell("total_users").source()),
                        }),
                    }),
                    ("equal" | "lika", None) => Some(Key::Equal),
                    ("weight" | "vikt", Some(figure)) if !figure.is_empty() => {
                        Some(Key::Weight { figure })
                    }
                    ("fixed" | "fast", None) => Some(Key::Fixed {
                        amounts: fixed.get(&id).cloned().unwrap_or_default(),
                    }),
                    ("direct" | "direkt", Some(p)) => {
                        // A payer's id that is not one is said once, by party_id.
                        Some(Key::Direct {
                            party: party_id(&r, "key", &p, problems)?,
                        })
                    }
                    _ => None,
                };
                if key.is_none() {
                    problems.push(r.cell("key").problem(
                        Severity::Error,
                        "key must be population, users, equal, weight:<figure>, fixed or direct:<party>",
                        true,
                    ));
                }
                key
            });
            let participants = match r.text("participants", problems) {
                Some(t) => Participants::Only(
                    split_list(&t)
                        .filter_map(|s| party_id(&r, "participants", s, problems))
                        .collect(),
                ),
                None => Participants::All,
            };
            let excess = match r.text("excess", problems) {
                None => None,
                Some(t) => match written_excess(&t) {
                    Some(WrittenExcess::Absorb(p)) => {
                        party_id(&r, "excess", p, problems).map(ExcessPolicy::Absorb)
                    }
                    Some(WrittenExcess::Redistribute) => Some(ExcessPolicy::Redistribute),
                    Some(WrittenExcess::Uncovered) => Some(ExcessPolicy::Uncovered),
                    None => {
                        problems.push(r.cell("excess").problem(
                            Severity::Error,
                            "excess must be absorb:<party>, redistribute or uncovered (bärs_av:<part>, omfördela, otäckt)",
                            true,
                        ));
                        None
                    }
                },
            };
            let cap = match r.text("cap", problems) {
                None => None,
                Some(t) if t.trim().eq_ignore_ascii_case("lou") => Some(CapLimit::Lou),
                Some(_) => r.money("cap", "cap", problems).map(CapLimit::Fixed),
            };
            if cap.is_some() && excess.is_none() && r.cell("excess").is_empty() {
                problems.push(r.cell("excess").problem(
                    Severity::Error,
                    "a capped pool needs an excess policy: absorb:<party>, redistribute or uncovered",
                    false,
                ));
            }
            // An excess policy without a cap would be ignored without a word (R2).
            if r.cell("cap").is_empty() && !r.cell("excess").is_empty() {
                problems.push(r.cell("excess").problem(
                    Severity::Error,
                    "an excess policy applies only to a capped pool: give the cap, or empty \
                     this cell",
                    true,
                ));
            }
            let year = r
                .whole("year", "year", 1900, problems)
                .and_then(|y| i32::try_from(y).ok());
            if year.is_none() && !r.cell("year").is_empty() {
                // Said at its cell: what the core says of a missing year (a lou cap needs
                // it) is not said again.
                problems.stand_in(&r.cell("year").problem(Severity::Error, "", false));
            }
            // The period a pool covers is shown to the reader on its invoice lines, not
            // computed with, but it must still be a period: two dates, the last not before the
            // first.
            let period_from = r.date("period_from", "period_from", problems);
            let period_to = r.date("period_to", "period_to", problems);
            let mut period = None;
            match (period_from, period_to) {
                (Some(f), Some(t)) if t < f => {
                    problems.push(r.cell("period_to").problem(
                        Severity::Error,
                        format!("the period ends before it starts ({f})"),
                        true,
                    ));
                }
                (Some(f), Some(t)) => period = t.succ_opt().and_then(|end| Period::new(f, end)),
                (Some(_), None) if r.cell("period_to").is_empty() => {
                    problems.push(r.cell("period_to").problem(
                        Severity::Error,
                        "a period needs its last day as well as its first",
                        false,
                    ));
                }
                (None, Some(_)) if r.cell("period_from").is_empty() => {
                    problems.push(r.cell("period_from").problem(
                        Severity::Error,
                        "a period needs its first day as well as its last",
                        false,
                    ));
                }
                _ => {}
            }
            let vat = if r.cell("vat").is_empty() {
                Some(VatRate::Zero)
            } else {
                r.vat("vat", "vat", problems)
            };
            // A pool whose amount, key, VAT or due dates cannot be read (said at their cells) is
            // still checked, with stand-ins (0, equal shares, 0 %, no due date): its cap, its
            // participants and the sheets naming it are not left unsaid. The load is refused,
            // so the stand-ins are never computed with.
            if amount.is_none() || key.is_none() || vat.is_none() || due.is_empty() {
                let unsaid = !problems.list()[said..]
                    .iter()
                    .any(|p| p.severity == Severity::Error);
                if unsaid {
                    problems.push(r.cell("id").problem(
                        Severity::Error,
                        "the pool cannot be read, and no cell was found at fault",
                        false,
                    ));
                }
            }
            for (column, unread) in [
                ("amount", amount.is_none()),
                ("key", key.is_none()),
                ("vat", vat.is_none()),
                ("due", due.is_empty()),
                ("cap", cap.is_none() && !r.cell("cap").is_empty()),
                // Not a stand-in itself, but compared with the parties' users, one of which is
                // (the parties' sum could exceed it only because of the stand-in).
                (
                    "total_users",
                    !users_read && !r.cell("total_users").is_empty(),
                ),
            ] {
                if unread {
                    problems.stand_in(&r.cell(column).problem(Severity::Error, "", false));
                }
            }
            let key = match (key, fixed_unread.get(&id)) {
                (Some(Key::Fixed { amounts }), Some(unread)) => {
                    let counted = |p: &PartyId| {
                        parties.contains(p)
                            && match &participants {
                                Participants::All => true,
                                Participants::Only(ids) => ids.contains(p),
                            }
                    };
                    if let Some(over) =
                        amount.and_then(|a| unread.certain_excess(&id, &amounts, a, counted))
                    {
                        problems.push(r.cell("amount").problem(Severity::Error, over, false));
                    }
                    let sign = amount.unwrap_or(Money::ZERO);
                    Key::Fixed {
                        amounts: stand_in_fixed(amounts, unread, &participants, parties, sign),
                    }
                }
                (key, _) => key.unwrap_or(Key::Equal),
            };
            let amount = amount.unwrap_or(Money::ZERO);
            let vat = vat.unwrap_or(VatRate::Zero);
            let mut builder = Pool::builder(&id, &name, amount, key)
                .currency(currency)
                .shared_by(participants)
                .source(r.cell("amount").source());
            if let Some(year) = year {
                builder = builder.year(year);
            }
            // A cap that is refused (zero or below) or cannot be read is said at its cell; a
            // stand-in of one öre takes its place, so that the rest of the cap's checks (the
            // absorbing party, a fixed key's instalments) still run and one refused cap hides
            // no other error. The load is refused, so the stand-in is never computed with.
            let stand_in = |b: PoolBuilder| match &excess {
                Some(e) => b.cap(Cap::new(CapLimit::Fixed(Money::from_ore(1)), e.clone())),
                None => b,
            };
            let built = match cap.zip(excess.clone()) {
                Some((limit, excess)) => builder.clone().cap(Cap::new(limit, excess)).build(),
                None if !r.cell("cap").is_empty() => stand_in(builder.clone()).build(),
                None => builder.clone().build(),
            };
            // The pool is checked as it is built (its id, a cap above 0), each problem at the
            // cell of its field; the rest of its checks still run on it with the stand-in cap.
            let pool = match built {
                Ok(pool) => pool,
                Err(refused) => {
                    for e in refused.problems() {
                        let field = e.field().unwrap_or("id");
                        problems.push(r.cell(field).problem(Severity::Error, e.to_string(), false));
                    }
                    match stand_in(builder.clone())
                        .build()
                        .or_else(|_| builder.build())
                    {
                        Ok(pool) => pool,
                        Err(_) => continue,
                    }
                }
            };
            if fixed_unread.contains_key(pool.id().as_ref()) {
                problems.stand_in(&r.cell("amount").problem(Severity::Error, "", false));
            }
            out.push(PoolInput {
                pool,
                due,
                vat,
                period,
                place,
                cells: r.cells(),
            });
        }
        for (pool, at) in fixed_at {
            let is_fixed = out
                .iter()
                .any(|p| p.pool.id().as_ref() == pool && matches!(p.pool.key(), Key::Fixed { .. }));
            if !is_fixed {
                problems.push(Problem {
                    message: "fixed amounts for a pool that is not a pool with the fixed key, \
                              ignored"
                        .to_owned(),
                    ..at
                });
            }
        }
        out
    }

    fn budgets(&self, problems: &mut Problems) -> Vec<BudgetInput> {
        let mut by_date: BTreeMap<NaiveDate, BudgetInput> = BTreeMap::new();
        // The first reference date and user count given for each budget, with their cells.
        let mut references: BTreeMap<NaiveDate, (NaiveDate, String)> = BTreeMap::new();
        let mut counts: BTreeMap<NaiveDate, (u64, String)> = BTreeMap::new();
        for r in self.rows("Budget") {
            let valid_from = r.date("valid_from", "valid_from", problems);
            let line = r.required_text("line", "line", problems);
            let amount = r.money("amount", "amount", problems);
            let reference = r.date("reference_date", "reference_date", problems);
            let users = r.whole("users", "users", 1, problems);
            let inferred = r.yes_no("inferred", "inferred", problems).unwrap_or(false);
            let (Some(valid_from), Some(line), Some(amount)) = (valid_from, line, amount) else {
                continue;
            };
            let entry = by_date.entry(valid_from).or_insert_with(|| BudgetInput {
                budget: Budget {
                    name: format!("budget from {valid_from}"),
                    valid_from,
                    reference_date: reference.unwrap_or(valid_from),
                    lines: Vec::new(),
                },
                users: None,
            });
            // One budget has one reference date and one user count: a row that disagrees with
            // the first given is an error at its cell (not a silent last-row-wins, and not
            // said again of the rows after it that agree with the first).
            if let Some(reference) = reference {
                match references.get(&valid_from) {
                    Some((first, at)) if *first != reference => {
                        problems.push(r.cell("reference_date").problem(
                            Severity::Error,
                            format!(
                                "the budget from {valid_from} already has the reference date \
                                 {first} (at {at}): a budget has a single reference date"
                            ),
                            true,
                        ));
                    }
                    Some(_) => {}
                    None => {
                        let at = r.cell("reference_date").source().to_string();
                        references.insert(valid_from, (reference, at));
                        entry.budget.reference_date = reference;
                    }
                }
            }
            if let Some(n) = users {
                match counts.get(&valid_from) {
                    Some((first, at)) if *first != n => {
                        problems.push(r.cell("users").problem(
                            Severity::Error,
                            format!(
                                "the budget from {valid_from} already has {first} users (at \
                                 {at}): a budget has a single user count"
                            ),
                            true,
                        ));
                    }
                    Some(_) => {}
                    None => {
                        counts.insert(valid_from, (n, r.cell("users").source().to_string()));
                        entry.users = users;
                    }
                }
            }
            entry.budget.lines.push(BudgetLine {
                name: line,
                amount,
                inferred,
                source: Some(r.cell("amount").source()),
            });
        }
        by_date.into_values().collect()
    }

    /// The user register as read; a party the agreement does not know and a last day before the
    /// first are the core's checks.
    fn registrations(&self, problems: &mut Problems) -> Vec<Registration> {
        let mut out = Vec::new();
        let Some((table, columns)) = self.found.get("Users") else {
            return out;
        };
        // Sized once from the file's length: grown by doubling, 2,000,000 rows were copied
        // (and their fresh pages touched) again and again. Only a hint: a size the memory
        // cannot hold is left to growing.
        let _ = out.try_reserve_exact(crate::input::expected_rows(table));
        // The columns found once, not looked up by name in every row (a register has
        // millions): (its index, or none when the sheet lacks it; required).
        let column = |name: &'static str| {
            let required = SHEETS
                .iter()
                .filter(|spec| spec.name == "Users")
                .flat_map(|spec| spec.columns.iter())
                .any(|c| c.name == name && c.required);
            (columns.get(name).copied(), required)
        };
        let (party_at, _) = column("party");
        let (user_at, _) = column("user_id");
        let (first_at, first_required) = column("first_day");
        let (last_at, _) = column("last_day");
        let (organisation_at, organisation_required) = column("organisation");
        self.each_row("Users", problems, |r, problems| {
            let cell = |at: Option<usize>| CellRef {
                table: r.table,
                row: r.row,
                // An absent optional column reads as empty cells beyond the row.
                column: at.unwrap_or(usize::MAX),
            };
            let party_cell = cell(party_at);
            // A text cell is read where it is, not copied first.
            let party = match party_cell.raw() {
                crate::input::Raw::Text(text) => party_id_in(&party_cell, text, problems),
                crate::input::Raw::Empty => {
                    if party_at.is_some() {
                        party_cell.required(problems, "party");
                    }
                    None
                }
                _ => party_cell
                    .text(problems, "party")
                    .and_then(|p| party_id_in(&party_cell, &p, problems)),
            };
            // The user id is never shown in a message: it may be a personal identity number.
            let user_cell = cell(user_at);
            let user = match user_cell.raw() {
                crate::input::Raw::Empty => {
                    user_cell.required(problems, "user_id");
                    None
                }
                // An error value (#REF!, #N/A) is not an id: it would make every such row one
                // user. Showing it is safe, it is not an id.
                crate::input::Raw::Error(_) => {
                    problems.push(user_cell.problem(
                        Severity::Error,
                        "user_id must be text or a number, not an error value",
                        true,
                    ));
                    None
                }
                crate::input::Raw::Text(text) => Some(UserId::new(text.trim())),
                raw => Some(UserId::new(raw.shown().trim())),
            };
            let first_cell = cell(first_at);
            let first = if empty_cell(
                &first_cell,
                first_at.is_some(),
                first_required,
                "first_day",
                problems,
            ) {
                None
            } else {
                first_cell.date(problems, "first_day")
            };
            let last = cell(last_at).end_date(problems, "last_day").flatten();
            let (Some(party), Some(user), Some(first)) = (party, user, first) else {
                return;
            };
            let mut reg = Registration::new(party, user, first, last);
            let organisation_cell = cell(organisation_at);
            reg.organisation = if empty_cell(
                &organisation_cell,
                organisation_at.is_some(),
                organisation_required,
                "organisation",
                problems,
            ) {
                None
            } else {
                organisation_cell.text(problems, "organisation")
            };
            reg.source = Some(party_cell.source());
            out.push(reg);
        });
        out
    }

    fn user_counts(&self, problems: &mut Problems) -> Vec<UserCount> {
        let mut out = Vec::new();
        self.each_row("UserCounts", problems, |r, problems| {
            let party = r
                .required_text("party", "party", problems)
                .and_then(|p| party_id(r, "party", &p, problems));
            let date = r.date("date", "date", problems);
            let count = r.whole("count", "count", 0, problems);
            if let (Some(party), Some(date), Some(count)) = (party, date, count) {
                out.push(UserCount {
                    party,
                    date,
                    count,
                    source: Some(r.cell("count").source()),
                });
            }
        });
        out
    }

    fn provider_costs(&self, problems: &mut Problems) -> Vec<ProviderCost> {
        let mut out = Vec::new();
        for r in self.rows("ProviderCosts") {
            let provider = r
                .required_text("provider", "provider", problems)
                .and_then(|p| party_id(&r, "provider", &p, problems));
            let description = r.required_text("description", "description", problems);
            let incurred = r.date("incurred", "incurred", problems);
            let amount = r.money("amount", "amount", problems);
            if let (Some(provider), Some(description), Some(incurred), Some(amount)) =
                (provider, description, incurred, amount)
            {
                out.push(ProviderCost {
                    provider,
                    description,
                    incurred,
                    amount,
                    vat: if r.cell("vat").is_empty() {
                        VatRate::Zero
                    } else {
                        r.vat("vat", "vat", problems).unwrap_or_default()
                    },
                    source: Some(r.cell("amount").source()),
                });
            }
        }
        out
    }
}

impl Sheets<'_> {
    /// The tariffs, and whether every row could be read (a kind left out is not known).
    fn tariffs(&self, problems: &mut Problems) -> (Option<TariffTable>, bool) {
        if !self.has("Tariffs") {
            return (None, true);
        }
        let mut every_row = true;
        let mut list = Vec::new();
        // A row repeated (the same kind from the same day) is said once per copy here: the
        // overlap check of the table compares every pair, and 2,000 copies made 2,001,000
        // problems.
        let mut seen: BTreeMap<(String, NaiveDate), String> = BTreeMap::new();
        for r in self.rows("Tariffs") {
            let kind =
                r.required_text("kind", "kind", problems)
                    .and_then(|k| match Kind::new(&k) {
                        Ok(k) => Some(k),
                        Err(e) => {
                            problems.push(r.cell("kind").problem(
                                Severity::Error,
                                e.to_string(),
                                true,
                            ));
                            None
                        }
                    });
            let price = r.decimal("price", "price", problems).and_then(|p| {
                let price = UnitPrice::new(p);
                if price.is_none() {
                    problems.push(r.cell("price").problem(
                        Severity::Error,
                        "price must be 0 or more with at most 4 decimals",
                        true,
                    ));
                }
                price
            });
            let from = r.date("valid_from", "valid_from", problems);
            let to = r.end_date("valid_to", "valid_to", problems).flatten();
            if let (Some(kind), Some(from)) = (&kind, from) {
                let place = r.cell("kind").source().to_string();
                if let Some(first) = seen.get(&(kind.to_string(), from)) {
                    problems.push(r.cell("valid_from").problem(
                        Severity::Error,
                        format!(
                            "the tariff of {kind} from {from} is given again (first at {first})"
                        ),
                        false,
                    ));
                    continue;
                }
                seen.insert((kind.to_string(), from), place);
            }
            if let (Some(kind), Some(price), Some(from)) = (kind, price, from) {
                let mut t = Tariff::new(kind, price, from, to);
                t.source = Some(r.cell("price").source());
                list.push(t);
            } else {
                every_row = false;
            }
        }
        let table = match TariffTable::new(list) {
            Ok(t) => Some(t),
            Err(e) => {
                let file = self.found["Tariffs"].0.file.clone();
                for p in e.problems() {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: file.clone(),
                        sheet: Some("Tariffs".to_owned()),
                        cell: None,
                        found: None,
                        message: p.to_string(),
                    });
                }
                None
            }
        };
        (table, every_row)
    }

    fn cooperations(&self, problems: &mut Problems) -> Vec<CooperationInput> {
        let mut out = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for r in self.rows("Cooperations") {
            let id = r.required_text("id", "id", problems);
            if let Some(id) = &id {
                let place = r.cell("id").source().to_string();
                if let Some(first) = seen.insert(id.clone(), place) {
                    problems.push(r.cell("id").problem(
                        Severity::Error,
                        format!("the cooperation id is used twice (first at {first})"),
                        true,
                    ));
                    continue;
                }
            }
            let name = r.required_text("name", "name", problems);
            let members_text = r.required_text("members", "members", problems);
            let members: Vec<PartyId> = members_text
                .as_deref()
                .map(|t| {
                    split_list(t)
                        .filter_map(|s| party_id(&r, "members", s, problems))
                        .collect()
                })
                .unwrap_or_default();
            // The members that could not be read (said at the cell), by their letters and
            // digits: what follows from them (no members, too many, an administrator who may
            // be one of them) is not said; the members read are still checked.
            let unread: Vec<String> = members_text
                .as_deref()
                .map(|t| {
                    split_list(t)
                        .filter(|m| party_id_fault(m).is_some() || PartyId::new(m.trim()).is_err())
                        .map(id_letters)
                        .collect()
                })
                .unwrap_or_default();
            let limit = r.whole("member_limit", "member_limit", 1, problems);
            let administrator = r
                .text("administrator", problems)
                .and_then(|a| party_id(&r, "administrator", &a, problems));
            let fee = r.money("fee", "fee", problems);
            let year = r
                .whole("year", "year", 1900, problems)
                .and_then(|y| i32::try_from(y).ok());
            let due = r.dates("due", problems);
            if fee.is_some() && (year.is_none() || due.is_empty()) {
                problems.push(r.cell("fee").problem(
                    Severity::Error,
                    "a cooperation fee needs its year and due date",
                    false,
                ));
            }
            let mut covers = Vec::new();
            if let Some(t) = r.text("covers", problems) {
                for pair in split_list(&t) {
                    let parsed = pair.split_once(':').and_then(|(a, b)| {
                        Some(CoveredCost {
                            counted: Kind::new(a.trim()).ok()?,
                            priced_as: Kind::new(b.trim()).ok()?,
                        })
                    });
                    match parsed {
                        Some(c) if covers.contains(&c) => {
                            problems.push(r.cell("covers").problem(
                                Severity::Error,
                                format!(
                                    "covers names {}:{} twice: its costs would be counted twice",
                                    c.counted, c.priced_as
                                ),
                                true,
                            ));
                        }
                        Some(c) => covers.push(c),
                        None => problems.push(r.cell("covers").problem(
                            Severity::Error,
                            "covers must be counted:priced pairs such as login:sms, separated by commas",
                            true,
                        )),
                    }
                }
            }
            let (Some(id), Some(name), Some(_)) = (id, name, &members_text) else {
                continue;
            };
            // An unreadable limit (already said) stands in as no limit: the members are still
            // checked, and the load is refused, so the stand-in is never computed with.
            let mut limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
            let mut administrator = administrator;
            if !unread.is_empty() {
                if members.is_empty() {
                    continue;
                }
                limit = usize::MAX;
                administrator = administrator.filter(|a| !unread.contains(&id_letters(a.as_str())));
            }
            let cooperation =
                match Cooperation::new(&id, &name, members.clone(), limit, administrator.clone()) {
                    Ok(cooperation) => Some(cooperation),
                    Err(_) => {
                        // The core says the first of its problems (a member named twice, too many
                        // members, an administrator who is not a member): each is asked on its
                        // own, so that every one is said at once, and the cooperation is then
                        // checked as a stand-in without them (its members against the parties);
                        // the load is refused, so the stand-in is never computed with. The
                        // limit is asked of the members sorted and each named once, so "too many
                        // members" lists them sorted, not as written (the cell's text is quoted
                        // beside it, as before).
                        let mut unique = members.clone();
                        unique.sort();
                        unique.dedup();
                        let admin = administrator.clone().filter(|a| unique.contains(a));
                        let asks = [
                            ("members", members.clone(), usize::MAX, None),
                            ("members", unique.clone(), limit, None),
                            (
                                "administrator",
                                unique.clone(),
                                usize::MAX,
                                administrator.clone(),
                            ),
                        ];
                        let mut said = BTreeSet::new();
                        for (column, m, l, a) in asks {
                            if let Err(e) = Cooperation::new(&id, &name, m, l, a) {
                                let message = e.to_string();
                                if said.insert(message.clone()) {
                                    problems.push(r.cell(column).problem(
                                        Severity::Error,
                                        message,
                                        true,
                                    ));
                                }
                            }
                        }
                        Cooperation::new(&id, &name, unique, usize::MAX, admin).ok()
                    }
                };
            if let Some(cooperation) = cooperation {
                out.push(CooperationInput {
                    cooperation,
                    fee,
                    year,
                    due,
                    covers,
                    place: r.cell("id").source().to_string(),
                });
            }
        }
        out
    }
}

/// The file stem of the `transactions_file` setting, read straight from the Settings table: in a
/// CSV folder the transactions file may sit beside the tables and is not a sheet.
fn transactions_file_stem(source: &Source) -> Option<String> {
    let settings = source.table(&["Settings", "Inställningar"])?;
    let (name, value) = (
        settings
            .headers
            .iter()
            .position(|h| same_name(h, "setting") || same_name(h, "inställning"))?,
        settings
            .headers
            .iter()
            .position(|h| same_name(h, "value") || same_name(h, "värde"))?,
    );
    settings.rows.iter().find_map(|row| {
        let key = row.cells.get(name)?.shown();
        if !(same_name(&key, "transactions_file") || same_name(&key, "transaktionsfil")) {
            return None;
        }
        let value = row.cells.get(value)?.shown();
        Path::new(value.trim())
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    })
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The longest party id: ids name files and lines, and a municipality code or short name is far
/// shorter.
pub const MAX_PARTY_ID_CHARS: usize = 64;

/// Why a text cannot be a party id, if it cannot. Ids become parts of file names and CSV fields:
/// whatever could leave a folder, hide a character or name a device is refused at its cell.
pub fn party_id_fault(id: &str) -> Option<String> {
    let id = id.trim();
    if id.is_empty() {
        return Some("a party id may not be empty".to_owned());
    }
    // The usual id (a municipality code, a short name in ASCII letters, digits, spaces, - and
    // _, not starting with a dot) holds none of the characters refused below: one pass over
    // its bytes rather than one per rule (a register has an id per row).
    let plain = id.len() <= MAX_PARTY_ID_CHARS
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'_'));
    if !plain {
        if let Some(fault) = unusual_party_id_fault(id) {
            return Some(fault);
        }
    }
    // Only a stem of three to seven bytes can be a device name: no uppercase copy of every id
    // (one per row of a register of millions). Windows also reserves CONIN$ and CONOUT$, and
    // COM and LPT followed by a superscript digit ¹, ² or ³ (two bytes in UTF-8).
    let stem = id.split('.').next().unwrap_or(id).trim_end();
    let is = |name: &str| stem.eq_ignore_ascii_case(name);
    let port = |prefix: &[u8]| match (stem.as_bytes().get(..3), stem.get(3..)) {
        (Some(p), Some(n)) => {
            p.eq_ignore_ascii_case(prefix)
                && (matches!(n.as_bytes(), [d] if d.is_ascii_digit())
                    || matches!(n, "\u{b9}" | "\u{b2}" | "\u{b3}"))
        }
        _ => false,
    };
    let reserved = is("CON")
        || is("PRN")
        || is("AUX")
        || is("NUL")
        || is("CONIN$")
        || is("CONOUT$")
        || port(b"COM")
        || port(b"LPT");
    if reserved {
        return Some(format!(
            "a party id may not be {}, a device name on Windows",
            stem.to_ascii_uppercase()
        ));
    }
    None
}

/// The faults of [`party_id_fault`] other than a device name (`id` trimmed, not empty): what
/// an id that is not plain ASCII may hold.
fn unusual_party_id_fault(id: &str) -> Option<String> {
    let chars = id.chars().count();
    if chars > MAX_PARTY_ID_CHARS {
        return Some(format!(
            "a party id may be at most {MAX_PARTY_ID_CHARS} characters long, it has {chars}"
        ));
    }
    if let Some(c) = id.chars().find(|c| matches!(c, '/' | '\\' | ':')) {
        return Some(format!("a party id may not hold the path separator {c:?}"));
    }
    if id == "." || id == ".." || id.starts_with('.') {
        return Some("a party id may not start with a dot".to_owned());
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Some(format!(
            "a party id may not hold the control character U+{:04X}",
            u32::from(c)
        ));
    }
    // Marks that reorder or hide text (bidirectional controls, zero-width characters) make an
    // id look like another.
    if let Some(c) = id.chars().find(|c| {
        matches!(u32::from(*c), 0x061C | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
    }) {
        return Some(format!(
            "a party id may not hold the invisible or direction mark U+{:04X}",
            u32::from(c)
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| matches!(c, '<' | '>' | '"' | '|' | '?' | '*'))
    {
        return Some(format!("a party id may not hold {c:?}"));
    }
    None
}

fn party_id(
    r: &RowReader<'_>,
    column: &str,
    text: &str,
    problems: &mut Problems,
) -> Option<PartyId> {
    party_id_in(&r.cell(column), text, problems)
}

/// Whether `cell` is empty; an empty cell is an error at it when its column is `present` in
/// the sheet and `required` (a missing column is reported once, at the header row).
fn empty_cell(
    cell: &CellRef<'_>,
    present: bool,
    required: bool,
    what: &str,
    problems: &mut Problems,
) -> bool {
    if !cell.is_empty() {
        return false;
    }
    if present && required {
        cell.required(problems, what);
    }
    true
}

/// The party id `text` read from `cell`, or a problem at it.
fn party_id_in(cell: &CellRef<'_>, text: &str, problems: &mut Problems) -> Option<PartyId> {
    if let Some(fault) = party_id_fault(text) {
        problems.push(cell.problem(
            Severity::Error,
            format!("not a valid party id: {fault}"),
            true,
        ));
        return None;
    }
    match PartyId::new(text.trim()) {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push(cell.problem(Severity::Error, "not a valid party id", true));
            None
        }
    }
}

/// What the Parties sheet says about how to reach a party.
struct Contact {
    address: Option<PostalAddress>,
    buyer_reference: Option<String>,
    peppol_id: Option<String>,
    email: Option<String>,
    gaps: Vec<(String, Problem)>,
}

/// The longest address line or reference accepted (a Peppol address line allows more, but a
/// printed address window does not).
const MAX_LINE: usize = 200;

/// The address, buyer reference and e-invoice address of the party on row `r`. A line with a
/// line break or over 200 characters, a partial address, a bad country code or a malformed
/// Peppol id is an error at its cell; what an e-invoice would lack goes to `gaps`.
fn party_contact(
    r: &RowReader<'_>,
    id: &PartyId,
    name: &str,
    org: Option<&OrgNumber>,
    problems: &mut Problems,
) -> Contact {
    let line = |column: &'static str, problems: &mut Problems| -> Option<String> {
        let text = r.text(column, problems)?;
        if text.contains(['\n', '\r']) {
            problems.push(r.cell(column).problem(
                Severity::Error,
                format!("{column} must be one line, without a line break"),
                false,
            ));
            return None;
        }
        if text.chars().count() > MAX_LINE {
            problems.push(r.cell(column).problem(
                Severity::Error,
                format!(
                    "{column} must be at most {MAX_LINE} characters, found {}",
                    text.chars().count()
                ),
                false,
            ));
            return None;
        }
        Some(text)
    };
    let street = line("street", problems);
    let postcode = line("postcode", problems);
    let city = line("city", problems);
    let country = line("country", problems);
    let buyer_reference = line("buyer_reference", problems);
    let email = line("email", problems);
    let peppol = line("peppol_id", problems);
    let country = match country {
        None => Some("SE".to_owned()),
        Some(c) if c.len() == 2 && c.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            problems.push(r.cell("country").problem(
                Severity::Error,
                "country must be a two-letter ISO code such as SE",
                true,
            ));
            None
        }
    };
    let any = street.is_some() || postcode.is_some() || city.is_some();
    let address = match (street, postcode, city, country) {
        (Some(street), Some(postcode), Some(city), Some(country)) => Some(PostalAddress {
            street,
            postcode,
            city,
            country,
        }),
        (street, postcode, city, _) => {
            if any {
                for (column, value) in [
                    ("street", &street),
                    ("postcode", &postcode),
                    ("city", &city),
                ] {
                    if value.is_none() && r.cell(column).is_empty() {
                        problems.push(r.cell(column).problem(
                            Severity::Error,
                            format!("party {id} has part of an address: {column} is needed too"),
                            false,
                        ));
                    }
                }
            }
            None
        }
    };
    let peppol_id = match peppol {
        Some(p) if is_peppol_id(&p) => Some(p),
        Some(_) => {
            problems.push(r.cell("peppol_id").problem(
                Severity::Error,
                "peppol_id must be scheme:id, a four-digit scheme such as 0007 and an id of letters and digits, e.g. 0007:2120000142",
                true,
            ));
            None
        }
        None => org.map(|o| format!("0007:{}", o.digits())),
    };
    let mut gaps = Vec::new();
    let mut gap = |column: &str, what: &str| {
        // At its cell; where the sheet has no such column, at the cell of the first free
        // column, where it is to be added (never only the row).
        let problem = if r.columns.contains_key(column) {
            r.cell(column).problem(
                Severity::Error,
                format!("party {id} ({name}) has no {what} ({column}): an e-invoice needs it"),
                false,
            )
        } else {
            let free = CellRef {
                table: r.table,
                row: r.row,
                column: r.table.headers.len(),
            };
            let header = r.table.cell_name(r.table.header_row, free.column);
            free.problem(
                Severity::Error,
                format!(
                    "party {id} ({name}) has no {what}: the {} sheet has no {column} column \
                     (add it, e.g. headed {column} in {header}); an e-invoice needs it",
                    r.table.sheet
                ),
                false,
            )
        };
        gaps.push((column.to_owned(), problem));
    };
    if org.is_none() && r.cell("org_nr").is_empty() {
        gap("org_nr", "organisation number");
    }
    if !any {
        gap("street", "postal address");
    }
    if buyer_reference.is_none() && r.cell("buyer_reference").is_empty() {
        gap("buyer_reference", "buyer reference");
    }
    Contact {
        address,
        buyer_reference,
        peppol_id,
        email,
        gaps,
    }
}

/// `scheme:id` with a four-digit ICD scheme and an id of 1–50 letters, digits, `.`, `-`, `_`.
fn is_peppol_id(text: &str) -> bool {
    let Some((scheme, id)) = text.split_once(':') else {
        return false;
    };
    scheme.len() == 4
        && scheme.bytes().all(|b| b.is_ascii_digit())
        && (1..=50).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// A row with its sheet's column lookup.
#[derive(Clone)]
struct RowReader<'a> {
    table: &'a Table,
    row: &'a crate::input::Row,
    columns: std::rc::Rc<BTreeMap<&'static str, usize>>,
    /// The sheet's required columns: an empty cell in one is an error at that cell, whichever
    /// typed reader reads it (an empty amount or date dropped its row without a word).
    required: std::rc::Rc<[&'static str]>,
}

impl<'a> RowReader<'a> {
    /// The cell of each of the sheet's known columns in this row, by column name.
    fn cells(&self) -> BTreeMap<&'static str, String> {
        self.columns
            .iter()
            .map(|(c, column)| {
                let cell = CellRef {
                    table: self.table,
                    row: self.row,
                    column: *column,
                };
                (*c, cell.source_text())
            })
            .collect()
    }

    fn cell(&self, column: &str) -> CellRef<'a> {
        CellRef {
            table: self.table,
            row: self.row,
            // An absent optional column reads as empty cells beyond the row.
            column: self.columns.get(column).copied().unwrap_or(usize::MAX),
        }
    }

    /// True when the cell is empty; an error at it when its column is required (and present:
    /// a missing column is reported once, at the header row).
    fn empty(&self, column: &str, what: &str, problems: &mut Problems) -> bool {
        empty_cell(
            &self.cell(column),
            self.columns.contains_key(column),
            self.required.contains(&column),
            what,
            problems,
        )
    }

    fn text(&self, column: &str, problems: &mut Problems) -> Option<String> {
        if self.empty(column, column, problems) {
            return None;
        }
        self.cell(column).text(problems, column)
    }

    fn required_text(&self, column: &str, what: &str, problems: &mut Problems) -> Option<String> {
        let cell = self.cell(column);
        if cell.is_empty() {
            if self.columns.contains_key(column) {
                cell.required(problems, what);
            }
            return None;
        }
        cell.text(problems, what)
    }

    fn decimal(&self, column: &str, what: &str, problems: &mut Problems) -> Option<Decimal> {
        if self.empty(column, what, problems) {
            return None;
        }
        self.cell(column).decimal(problems, what)
    }

    fn money(&self, column: &str, what: &str, problems: &mut Problems) -> Option<Money> {
        if self.empty(column, what, problems) {
            return None;
        }
        self.cell(column).money(problems, what)
    }

    fn whole(&self, column: &str, what: &str, min: u64, problems: &mut Problems) -> Option<u64> {
        if self.empty(column, what, problems) {
            return None;
        }
        self.cell(column).whole(problems, what, min)
    }

    fn date(&self, column: &str, what: &str, problems: &mut Problems) -> Option<NaiveDate> {
        if self.empty(column, what, problems) {
            return None;
        }
        self.cell(column).date(problems, what)
    }

    /// An end date: empty or in the year 9999 is no end (see [`CellRef::end_date`]).
    fn end_date(
        &self,
        column: &str,
        what: &str,
        problems: &mut Problems,
    ) -> Option<Option<NaiveDate>> {
        self.cell(column).end_date(problems, what)
    }

    fn yes_no(&self, column: &str, what: &str, problems: &mut Problems) -> Option<bool> {
        self.cell(column).yes_no(problems, what)
    }

    /// One or more dates separated by `;` in one cell (or one date cell).
    fn dates(&self, column: &str, problems: &mut Problems) -> Vec<NaiveDate> {
        if self.empty(column, column, problems) {
            return Vec::new();
        }
        let cell = self.cell(column);
        match cell.raw() {
            crate::input::Raw::Text(t) if t.contains(';') => {
                let parsed: Option<Vec<NaiveDate>> =
                    t.split(';').map(crate::input::parse_date_text).collect();
                if let Some(far) = parsed
                    .iter()
                    .flatten()
                    .find(|d| !crate::input::DATE_YEARS.contains(&chrono::Datelike::year(*d)))
                {
                    problems.push(cell.problem(
                        Severity::Error,
                        format!(
                            "{} ({far})",
                            crate::input::beyond_years(column, chrono::Datelike::year(far))
                        ),
                        true,
                    ));
                    return Vec::new();
                }
                match parsed {
                    Some(mut d) => {
                        d.sort();
                        // A date given twice would be one instalment billed, the other lost.
                        if let Some(w) = d.windows(2).find(|w| w[0] == w[1]) {
                            problems.push(cell.problem(
                                Severity::Error,
                                format!("{column} gives the date {} twice", w[0]),
                                true,
                            ));
                            return Vec::new();
                        }
                        d
                    }
                    None => {
                        problems.push(cell.problem(
                            Severity::Error,
                            format!("{column} must be dates (YYYY-MM-DD) separated by ;"),
                            true,
                        ));
                        Vec::new()
                    }
                }
            }
            _ => cell.date(problems, column).into_iter().collect(),
        }
    }

    /// The VAT rate in `column`, said to be `what` when it is not one.
    fn vat(&self, column: &str, what: &str, problems: &mut Problems) -> Option<VatRate> {
        let cell = self.cell(column);
        let text = cell
            .raw()
            .shown()
            .trim()
            .trim_end_matches('%')
            .trim()
            .to_lowercase();
        let rate = match text.as_str() {
            "0" | "" => Some(VatRate::Zero),
            "6" => Some(VatRate::Six),
            "12" => Some(VatRate::Twelve),
            "25" => Some(VatRate::TwentyFive),
            "outside" | "utanför" => Some(VatRate::OutsideScope),
            _ => None,
        };
        if rate.is_none() {
            problems.push(cell.problem(
                Severity::Error,
                format!("{what} must be 0, 6, 12, 25 or outside"),
                true,
            ));
        }
        rate
    }
}

/// An excess policy as a cell writes it, in English or Swedish (the template's words).
#[derive(Debug, PartialEq, Eq)]
enum WrittenExcess<'a> {
    /// `absorb:<party>` or `bärs_av:<part>`, with the party's id as written.
    Absorb(&'a str),
    /// `redistribute` or `omfördela`.
    Redistribute,
    /// `uncovered` or `otäckt`.
    Uncovered,
}

/// Reads an excess policy for the Pools and the Scenarios sheets alike; `None` when the text is
/// none of them. Only the policy's name is case-blind: the absorbing party's id keeps its case.
fn written_excess(text: &str) -> Option<WrittenExcess<'_>> {
    let text = text.trim();
    let (name, party) = match text.split_once(':') {
        Some((n, p)) => (n.trim().to_lowercase(), Some(p.trim())),
        None => (text.to_lowercase(), None),
    };
    match (name.as_str(), party) {
        ("absorb" | "bärs_av", Some(p)) => Some(WrittenExcess::Absorb(p)),
        ("redistribute" | "omfördela", None) => Some(WrittenExcess::Redistribute),
        ("uncovered" | "otäckt", None) => Some(WrittenExcess::Uncovered),
        _ => None,
    }
}

#[cfg(test)]
mod written_excess_tests {
    use super::{written_excess, WrittenExcess};

    #[test]
    fn english_and_swedish_names_case_blind_the_party_as_written() {
        assert_eq!(
            written_excess(" Bärs_av: 0180a"),
            Some(WrittenExcess::Absorb("0180a"))
        );
        assert_eq!(
            written_excess("ABSORB:0180"),
            Some(WrittenExcess::Absorb("0180"))
        );
        assert_eq!(
            written_excess("Omfördela"),
            Some(WrittenExcess::Redistribute)
        );
        assert_eq!(written_excess("uncovered"), Some(WrittenExcess::Uncovered));
        assert_eq!(written_excess("otäckt"), Some(WrittenExcess::Uncovered));
        assert_eq!(written_excess("redistribute:0180"), None);
        assert_eq!(written_excess("absorb"), None);
        assert_eq!(written_excess("share"), None);
    }
}

#[cfg(test)]
mod party_id_tests {
    use super::{party_id_fault, MAX_PARTY_ID_CHARS};

    #[test]
    fn plain_ids_pass_and_every_rule_still_refuses() {
        for ok in [
            "0114",
            "Region Stockholm",
            "a_b-c",
            "COM",
            "LPTX",
            "COM10",
            "COM\u{b9}0",
            "CONIN",
            "CONOUT$1",
            "abé",
            "ab\u{e9}",
        ] {
            assert_eq!(party_id_fault(ok), None, "{ok}");
        }
        let fault = |id: &str| party_id_fault(id).unwrap_or_default();
        assert_eq!(fault(" "), "a party id may not be empty");
        assert_eq!(
            fault("com1.txt"),
            "a party id may not be COM1, a device name on Windows"
        );
        assert_eq!(
            fault("nul"),
            "a party id may not be NUL, a device name on Windows"
        );
        assert_eq!(
            fault("Lpt9 "),
            "a party id may not be LPT9, a device name on Windows"
        );
        assert_eq!(
            fault("com\u{b9}"),
            "a party id may not be COM\u{b9}, a device name on Windows"
        );
        assert_eq!(
            fault("LPT\u{b3}.pdf"),
            "a party id may not be LPT\u{b3}, a device name on Windows"
        );
        assert_eq!(
            fault("conin$"),
            "a party id may not be CONIN$, a device name on Windows"
        );
        assert_eq!(
            fault("ConOut$"),
            "a party id may not be CONOUT$, a device name on Windows"
        );
        assert_eq!(fault(".hidden"), "a party id may not start with a dot");
        assert_eq!(
            fault("a/b"),
            "a party id may not hold the path separator '/'"
        );
        assert_eq!(fault("a?b"), "a party id may not hold '?'");
        assert_eq!(
            fault("a\u{200B}b"),
            "a party id may not hold the invisible or direction mark U+200B"
        );
        assert_eq!(
            fault("a\tb"),
            "a party id may not hold the control character U+0009"
        );
        let long = "x".repeat(MAX_PARTY_ID_CHARS + 1);
        assert_eq!(
            fault(&long),
            format!("a party id may be at most {MAX_PARTY_ID_CHARS} characters long, it has 65")
        );
        assert_eq!(party_id_fault(&"x".repeat(MAX_PARTY_ID_CHARS)), None);
    }
}
