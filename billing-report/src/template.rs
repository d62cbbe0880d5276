//! `billing-report template`: a ready-to-fill agreement workbook with every sheet, its headers,
//! one example row, drop-downs for keys and policies, number and date formats, and an
//! instructions sheet. The template passes `billing-report check` as it is.
//!
//! It is in Swedish, as the finance officer who fills it in reads it: every sheet and column is
//! named by its first Swedish alias (the reader accepts the English names as well), the example
//! values are the Swedish words the reader accepts (`folkmängd`, `samordnare`, `ja`), and the
//! Instructions sheet ("Instruktioner") explains every sheet, column and setting in Swedish,
//! with the English name beside it.

use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, Workbook,
    XlsxError,
};

use crate::output::{write_file, OutputError};
use crate::workbook::{SETTINGS, SHEETS};

/// One example value: text, a number, a date or a money amount.
enum V {
    T(&'static str),
    N(f64),
    D(u16, u8, u8),
    M(f64),
    E,
}

/// The example row of each sheet, column by column as in [`SHEETS`].
fn example(sheet: &str) -> Vec<V> {
    use V::*;
    match sheet {
        "Parties" => vec![
            T("0180"),
            T("Stockholms kommun"),
            T("212000-0142"),
            T("kommun"),
            N(935_619.0),
            D(2016, 12, 31),
            N(10.0),
            E,
            E,
            E,
            T("samordnare"),
            T("Exempelgatan 1"),
            T("111 11"),
            T("Stockholm"),
            T("SE"),
            T("Ekonomikontoret 4711"),
            E,
            E,
        ],
        "Pools" => vec![
            T("system-2026"),
            T("Systemkostnad 2026"),
            M(100_000.0),
            D(2026, 1, 1),
            T("folkmängd"),
            E,
            T("lou"),
            T("omfördela"),
            N(2026.0),
            T("0"),
            E,
            D(2026, 1, 1),
            D(2026, 12, 31),
        ],
        "Figures" => vec![T("0180"), T("licences"), N(10.0)],
        // No example: fixed amounts belong to a pool with the fixed key, which the example
        // agreement has not (an example here would be a warning of `check`).
        "FixedAmounts" => Vec::new(),
        "Budget" => vec![
            D(2026, 1, 1),
            T("Licenser"),
            M(120_000.0),
            D(2026, 1, 1),
            E,
            T("nej"),
        ],
        "Users" => vec![T("0180"), T("user-1"), D(2026, 1, 1), E, E],
        // No example: user counts are instead of a register, and the example agreement has a
        // register (counts beside it are an error of `check`).
        "UserCounts" => Vec::new(),
        "Thresholds" => vec![D(2022, 2, 1), M(700_000.0)],
        "Tariffs" => vec![T("login"), N(0.3), D(2026, 1, 1), E],
        "Scenarios" => vec![
            T("budget +10 %"),
            T("budget"),
            E,
            E,
            D(2026, 1, 1),
            E,
            N(10.0),
            E,
            E,
            E,
            E,
        ],
        "Accounts" => vec![
            T("system-2026"),
            T("3010"),
            T("100"),
            T("Systemkostnader, samverkan"),
        ],
        "Cooperations" => vec![
            T("course-1"),
            T("Exempelsamverkan"),
            T("0180"),
            N(3.0),
            T("0180"),
            E,
            E,
            E,
            E,
        ],
        "ProviderCosts" => vec![
            T("0180"),
            T("Drift första halvåret"),
            D(2026, 5, 31),
            M(5000.0),
            T("0"),
        ],
        _ => Vec::new(),
    }
}

/// The example settings: name (English, written by its Swedish alias), value.
const EXAMPLE_SETTINGS: &[(&str, &str)] = &[
    ("name", "Exempelavtal"),
    ("issuer", "0180"),
    ("start", "2026-01-01"),
    ("currency", "SEK"),
    ("period_starts", "01-01, 07-01"),
    ("correction_policy", "next_invoice_count"),
    ("payment_days", "30"),
    ("fee_vat", "0"),
    ("round_totals", "nej"),
    ("fee_rounding", "öre"),
    ("first_year_multiplier", "2"),
    ("notice_months", "12"),
    ("first_invoice_number", "1001"),
    ("ocr_length_digit", "ja"),
    ("f_tax", "nej"),
    ("our_reference", "Exempel Exempelsson"),
    ("language", "sv"),
];

/// The Swedish name of a sheet, column or setting: its first Swedish alias (every one has one;
/// a test says so), else its English name.
fn swedish<'a>(name: &'a str, aliases: &[&'a str]) -> &'a str {
    aliases.first().copied().unwrap_or(name)
}

/// What each sheet holds, in Swedish, by its English name.
const SV_SHEETS: &[(&str, &str)] = &[
    ("Settings", "Avtalets inställningar, en per rad: inställning och värde."),
    ("Parties", "Huvudmännen: kommuner, regioner, kommunalförbund."),
    ("Pools", "Kostnaderna som ska fördelas: belopp, fördelningsnyckel, vilka som delar, tak, fakturadatum."),
    ("Figures", "Nyckeltal per part för nycklar av slaget vikt:<nyckeltal>."),
    ("FixedAmounts", "Belopp per part för kostnadsposter med nyckeln fast; de ska summera till kostnadsposten."),
    ("Budget", "Budgetposter; den årliga användaravgiften är budgeten delad med antalet användare (R5)."),
    ("Users", "Användarregistret: en rad per registrering (användar-id skrivs aldrig ut)."),
    ("UserCounts", "I stället för ett register: antal användare per part och datum (bara med korrigering next_invoice_count). Fyll i antingen detta blad eller användarregistret, inte båda."),
    ("Thresholds", "Egna direktupphandlingsgränser (LOU) i stället för de inbyggda, för tak av slaget lou."),
    ("ProviderCosts", "Driftansvarigas och förvaltares faktiska kostnader, som faktureras samordnaren i efterskott (R10)."),
    ("Tariffs", "À-priser för transaktioner (R11): varje transaktion prissätts med det pris som gällde den dagen."),
    ("Cooperations", "Samverkan med ett högsta antal medlemmar och en avgift som delas lika mellan medlemmarna (R13), och vad avgiften ska täcka."),
    ("Scenarios", "Tänkta förändringar för billing-report year --scenario NAMN, en ändring per rad; rader med samma scenarionamn verkar tillsammans. De rör aldrig fakturaregistret."),
    ("Accounts", "Var fakturorna bokförs (SIE 4-export, lines.csv): ett fyrsiffrigt BAS-konto och ett eventuellt kostnadsställe per kostnadspost eller avgift; det som inte anges får BAS-kontoplanens standard."),
];

/// What each column holds, in Swedish, by (sheet, column) in English.
const SV_COLUMNS: &[(&str, &str, &str)] = &[
    ("Settings", "setting", "inställningens namn (se ovan)"),
    ("Settings", "value", "dess värde"),
    ("Parties", "id", "ett kort unikt id, t.ex. kommunkoden 0880"),
    ("Parties", "name", "organisationens namn"),
    ("Parties", "org_nr", "organisationsnummer NNNNNN-NNNN"),
    ("Parties", "kind", "kommun, region, kommunalförbund eller annan"),
    ("Parties", "population", "folkmängd, för nyckeln folkmängd"),
    ("Parties", "population_date", "datum som folkmängden avser"),
    ("Parties", "users", "antal användare, för kostnadsposter med nyckeln användare"),
    ("Parties", "joined", "första dagen som medlem (tomt: från avtalets start)"),
    ("Parties", "approved_by", "för en part som träder in senare: id för de parter som godkände, åtskilda med kommatecken"),
    ("Parties", "notice_given", "datum då uppsägningen lämnades"),
    ("Parties", "roles", "samordnare, driftansvarig, förvaltare (åtskilda med kommatecken)"),
    ("Parties", "street", "gatuadress eller box, en rad (skrivs på fakturorna)"),
    ("Parties", "postcode", "postnummer, t.ex. 195 85"),
    ("Parties", "city", "postort"),
    ("Parties", "country", "landskod enligt ISO (standard SE)"),
    ("Parties", "buyer_reference", "den referens eller det routingkodord som parten vill ha på sina fakturor (krävs för att utfärda e-fakturor)"),
    ("Parties", "peppol_id", "Peppol-adressen för e-faktura, t.ex. 0007:2120000142 (standard 0007: + organisationsnumret)"),
    ("Parties", "email", "en e-postadress för fakturor (frivillig)"),
    ("Pools", "id", "ett kort unikt id, t.ex. system-2020"),
    ("Pools", "name", "vad kostnaden avser"),
    ("Pools", "amount", "beloppet som ska fördelas, i kronor"),
    ("Pools", "due", "fakturadatum då den faktureras; flera datum (åtskilda med ;) delar den i lika delbetalningar"),
    ("Pools", "key", "folkmängd, användare, lika, vikt:<nyckeltal>, fast eller direkt:<part>"),
    ("Pools", "participants", "id för de parter som delar kostnaden (tomt: alla)"),
    ("Pools", "cap", "tomt, lou eller ett belopp"),
    ("Pools", "excess", "bärs_av:<part>, omfördela eller otäckt (när det finns ett tak)"),
    ("Pools", "year", "faktureringsåret (behövs för tak av slaget lou)"),
    ("Pools", "vat", "0, 6, 12, 25 eller utanför (standard 0)"),
    ("Pools", "total_users", "för nyckeln användare: användare i alla organisationer, parter eller inte"),
    ("Pools", "period_from", "första dagen i perioden kostnaden avser"),
    ("Pools", "period_to", "sista dagen i perioden kostnaden avser"),
    ("Figures", "party", "partens id"),
    ("Figures", "figure", "nyckeltalets namn"),
    ("Figures", "value", "dess värde, över 0"),
    ("FixedAmounts", "pool", "kostnadspostens id"),
    ("FixedAmounts", "party", "partens id"),
    ("FixedAmounts", "amount", "partens belopp"),
    ("Budget", "valid_from", "första dagen avgiften från denna budget gäller"),
    ("Budget", "line", "vad posten betalar"),
    ("Budget", "amount", "postens belopp"),
    ("Budget", "reference_date", "dagen då användarna räknas (standard: gäller_från)"),
    ("Budget", "users", "antalet användare N, om det inte räknas från registret"),
    ("Budget", "inferred", "ja när beloppet är härlett, inte hämtat ur en källa"),
    ("Users", "party", "den part användaren arbetar för"),
    ("Users", "user_id", "användarens id"),
    ("Users", "first_day", "registreringens första dag"),
    ("Users", "last_day", "sista dagen (tomt: fortfarande aktiv)"),
    ("Users", "organisation", "en organisation under parten, t.ex. en privat utförare"),
    ("UserCounts", "party", "partens id"),
    ("UserCounts", "date", "dagen då användarna räknades"),
    ("UserCounts", "count", "antal användare"),
    ("Thresholds", "in_force_from", "första dagen gränsen gäller"),
    ("Thresholds", "amount", "direktupphandlingsgränsen"),
    ("ProviderCosts", "provider", "id för den part som har kostnaden"),
    ("ProviderCosts", "description", "vad kostnaden är"),
    ("ProviderCosts", "incurred", "dagen då kostnaden uppstod"),
    ("ProviderCosts", "amount", "beloppet"),
    ("ProviderCosts", "vat", "0 (standard), 6, 12, 25 eller utanför"),
    ("Tariffs", "kind", "slaget av transaktion som i transaktionsfilen: login, signature, sms, …"),
    ("Tariffs", "price", "priset för en transaktion, i kronor (högst 4 decimaler)"),
    ("Tariffs", "valid_from", "första dagen priset gäller"),
    ("Tariffs", "valid_to", "sista dagen det gäller (tomt: inget slut)"),
    ("Cooperations", "id", "ett kort unikt id"),
    ("Cooperations", "name", "samverkans namn"),
    ("Cooperations", "members", "medlemmarnas id, åtskilda med kommatecken"),
    ("Cooperations", "member_limit", "högsta tillåtna antal medlemmar"),
    ("Cooperations", "administrator", "den part vars administratör ser alla medlemmars uppgifter"),
    ("Cooperations", "fee", "avgiften per samverkan och år"),
    ("Cooperations", "year", "året som avgiften avser"),
    ("Cooperations", "due", "avgiftens fakturadatum"),
    ("Cooperations", "covers", "vad avgiften täcker, som par räknat:prissatt, t.ex. login:sms (varje inloggning skickar ett sms)"),
    ("Scenarios", "scenario", "scenariots namn, t.ex. budget +10 %"),
    ("Scenarios", "change", "inträde, uppsägning, kostnadspost, budget, tak, överskott, tröskelvärde, användare, folkmängd eller nyckel (engelska: join, notice, pool_amount, budget, cap, excess, threshold, users, population, key)"),
    ("Scenarios", "party", "parten (inträde: den nya partens id; uppsägning, användare, folkmängd: en part i avtalet)"),
    ("Scenarios", "pool", "kostnadsposten (kostnadspost, tak, överskott, nyckel); inträde: de kostnadsposter med namngivna deltagare som den nya parten går med i, åtskilda med kommatecken (en kostnadspost som delas av alla tar med den från inträdesdagen)"),
    ("Scenarios", "date", "dagen ändringen gäller från (inträde, uppsägning, budget, tröskelvärde, användare); inom rapportens år eller året före"),
    ("Scenarios", "value", "det nya värdet eller ändringens storlek: ett belopp (kostnadspost, budget: läggs till; tröskelvärde, tak: det nya beloppet eller lou), ett tal (användare, folkmängd), en regel (överskott) eller en nyckel"),
    ("Scenarios", "per_cent", "en ändring i procent i stället för ett belopp (kostnadspost, budget), t.ex. 10 eller -5"),
    ("Scenarios", "name", "inträde: den nya partens namn"),
    ("Scenarios", "population", "inträde: den nya partens folkmängd"),
    ("Scenarios", "users", "inträde: den nya partens användare"),
    ("Scenarios", "approved_by", "inträde: de parter som godkänner, åtskilda med kommatecken (R8: mer än hälften av medlemmarna)"),
    ("Accounts", "what", "ett kostnadspost-id, user_fee, transactions, cooperation, rounding, receivable, vat_25, vat_12 eller vat_6"),
    ("Accounts", "account", "ett fyrsiffrigt BAS-konto, t.ex. 3010"),
    ("Accounts", "cost_centre", "ett kostnadsställe (SIE-dimension 1), om något"),
    ("Accounts", "name", "kontots namn i SIE-filen (standard: BAS-kontoplanens namn)"),
];

/// What each setting means, in Swedish, by its English name.
const SV_SETTINGS: &[(&str, &str)] = &[
    ("name", "avtalets namn (krävs)"),
    ("issuer", "id för den samordnande part som utfärdar fakturorna (krävs)"),
    ("start", "avtalets första dag (krävs med användaravgifter)"),
    ("currency", "SEK (standard) eller en annan ISO-kod"),
    ("period_starts", "faktureringsperiodernas första dagar som MM-DD, åtskilda med kommatecken (standard 01-01, 07-01)"),
    ("correction_policy", "next_invoice_count (standard: korrigering efter antalet användare vid periodens slut) eller pro_rata_days (efter användarnas registrerade dagar)"),
    ("payment_days", "dagar från fakturadatum till förfallodatum (standard 30)"),
    ("fee_vat", "momssatsen för användaravgifter: 0 (standard), 6, 12, 25 eller utanför"),
    ("round_totals", "ja för att avrunda att betala till hela kronor (öresavrundning; standard nej)"),
    ("fee_rounding", "hur årsavgiften F = B / N från en budget avrundas: öre (standard), kronor (hela kronor) eller exakt (avrundas inte: varje rad räknas från B och N och avrundas en gång)"),
    ("member_limit", "högsta antal parter avtalet tillåter (tomt: ingen gräns)"),
    ("first_year_multiplier", "faktorn för användaravgiften under en ny medlems första år (standard 2)"),
    ("notice_months", "månader från uppsägning till sista dagen (standard 12)"),
    ("first_invoice_number", "det första numret i utfärdarens fakturaserie (standard 1)"),
    ("ocr_length_digit", "ja (standard) för en längdsiffra i OCR-numret"),
    ("bankgiro", "utfärdarens bankgironummer, skrivs på fakturorna"),
    ("annual_fee", "den årliga användaravgiften, när den anges i stället för att beräknas från en budget"),
    ("transactions_file", "transaktionsfilen i CSV (timestamp,party,kind eller party,kind,period,count), relativt arbetsbokens mapp"),
    ("users_file", "användarregistret (bladet Användarregister) som en CSV-fil, när det är för stort för ett blad: relativt arbetsbokens mapp och inuti den"),
    ("user_counts_file", "antalet användare (bladet Antal användare) som en CSV-fil, relativt arbetsbokens mapp och inuti den"),
    ("transactions_period", "hur transaktioner faktureras i efterskott: månad (standard), halvår eller år"),
    ("language", "språket i fakturorna, sammanställningen och granskningsunderlaget: sv (standard) eller en"),
    ("transactions_vat", "momssatsen för transaktionsrader: 0 (standard), 6, 12, 25 eller utanför"),
    ("f_tax", "ja när utfärdaren är godkänd för F-skatt (skrivs ”Godkänd för F-skatt”; standard nej)"),
    ("our_reference", "utfärdarens kontaktperson, skrivs som ”Vår referens”"),
    ("vat_exemption_reason", "varför rader med 0 % saknar moms, skrivs på fakturorna (standard: momsfri kostnadsfördelning mellan kommuner)"),
];

/// The Swedish text of `key` in `table`, or the English `fallback` (a test makes sure every
/// key has one).
fn sv_text<'a>(table: &'a [(&str, &str)], key: &str, fallback: &'a str) -> &'a str {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(fallback, |(_, v)| *v)
}

/// The Swedish text of a column, or its English `about`.
fn sv_column<'a>(sheet: &str, column: &str, fallback: &'a str) -> &'a str {
    SV_COLUMNS
        .iter()
        .find(|(s, c, _)| *s == sheet && *c == column)
        .map_or(fallback, |(_, _, v)| *v)
}

/// `(engelska: name; även: other aliases)`: the other names the reader accepts.
fn also(english: &str, aliases: &[&str]) -> String {
    let rest: Vec<&str> = aliases.iter().skip(1).copied().collect();
    if rest.is_empty() {
        format!(" (engelska: {english})")
    } else {
        format!(" (engelska: {english}; även: {})", rest.join(", "))
    }
}

/// Writes the template to `path`, atomically.
///
/// # Errors
/// The file exists and `force` is not given, or it cannot be written.
pub fn write_template(path: &Path, force: bool) -> Result<(), OutputError> {
    let bytes = template_bytes().map_err(|e| OutputError::Xlsx {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_file(path, &bytes, force)
}

fn template_bytes() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Avtalsarbetsbok")
            .set_author("billing-report")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let header = Format::new().set_bold().set_background_color("#DDEBF7");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("# ##0.00");
    let title = Format::new().set_bold().set_font_size(16);

    let ws = wb.add_worksheet().set_name("Instruktioner")?;
    ws.set_column_width(0, 26)?;
    ws.set_column_width(1, 110)?;
    ws.write_string_with_format(0, 0, "Avtalsarbetsbok", &title)?;
    let mut r = 2;
    for line in [
        "Fyll i ett blad per tabell. Rubrikerna får vara på svenska (som här) eller engelska; tal som tal eller som text som 1 234 567,50; datum som datum eller som 2026-01-01.",
        "Ersätt exempelraderna med avtalets egna uppgifter. Kör sedan: billing-report check DENNA-FIL.xlsx – alla fel redovisas på en gång, med blad och cell.",
        "Fakturautkast: billing-report run DENNA-FIL.xlsx --date 2026-01-01 --out MAPP. Utfärda fakturorna: billing-report issue … (nummer och fakturaregister).",
        "Användar-id i bladet Användarregister skrivs aldrig ut någonstans: bara antal.",
        "Programmets egna meddelanden (fel och varningar) är än så länge på engelska.",
    ] {
        ws.write_string(r, 1, line)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Inställningar", &bold)?;
    ws.write_string(
        r,
        1,
        "Bladet Inställningar: en inställning per rad, namnet i första kolumnen och värdet i den andra.",
    )?;
    r += 1;
    for (name, aliases, about) in SETTINGS {
        ws.write_string(r, 0, swedish(name, aliases))?;
        ws.write_string(
            r,
            1,
            format!(
                "{}{}",
                sv_text(SV_SETTINGS, name, about),
                also(name, aliases)
            ),
        )?;
        r += 1;
    }
    for spec in SHEETS {
        r += 1;
        ws.write_string_with_format(
            r,
            0,
            format!(
                "{}{}",
                swedish(spec.name, spec.aliases),
                if spec.required { " (krävs)" } else { "" }
            ),
            &bold,
        )?;
        ws.write_string(
            r,
            1,
            format!(
                "{}{}",
                sv_text(SV_SHEETS, spec.name, spec.about),
                also(spec.name, spec.aliases)
            ),
        )?;
        r += 1;
        for c in spec.columns {
            ws.write_string(r, 0, swedish(c.name, c.aliases))?;
            ws.write_string(
                r,
                1,
                format!(
                    "{}{}{}",
                    if c.required { "krävs: " } else { "" },
                    sv_column(spec.name, c.name, c.about),
                    also(c.name, c.aliases)
                ),
            )?;
            r += 1;
        }
    }

    for spec in SHEETS {
        let ws = wb
            .add_worksheet()
            .set_name(swedish(spec.name, spec.aliases))?;
        for (c, col) in spec.columns.iter().enumerate() {
            let heading = swedish(col.name, col.aliases);
            ws.write_string_with_format(0, c as u16, heading, &header)?;
            let width = heading.chars().count().max(16) + 2;
            ws.set_column_width(c as u16, width as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        if spec.name == "Settings" {
            ws.set_column_width(0, 26)?;
            ws.set_column_width(1, 30)?;
            for (i, (k, v)) in EXAMPLE_SETTINGS.iter().enumerate() {
                let name = SETTINGS
                    .iter()
                    .find(|(n, _, _)| n == k)
                    .map_or(*k, |(n, aliases, _)| swedish(n, aliases));
                ws.write_string(1 + i as u32, 0, name)?;
                ws.write_string(1 + i as u32, 1, *v)?;
            }
            continue;
        }
        for (c, v) in example(spec.name).into_iter().enumerate() {
            let c = c as u16;
            match v {
                V::T(t) => {
                    ws.write_string(1, c, t)?;
                }
                V::N(n) => {
                    ws.write_number(1, c, n)?;
                }
                V::M(m) => {
                    ws.write_number_with_format(1, c, m, &money)?;
                }
                V::D(y, m, d) => {
                    ws.write_datetime_with_format(1, c, ExcelDateTime::from_ymd(y, m, d)?, &date)?;
                }
                V::E => {}
            }
        }
        // Formats and drop-downs for the first 1,000 rows.
        for (c, col) in spec.columns.iter().enumerate() {
            let c = c as u16;
            let list: Option<&[&str]> = match (spec.name, col.name) {
                ("Pools", "key") => {
                    Some(&["folkmängd", "användare", "lika", "fast", "vikt:", "direkt:"])
                }
                ("Pools", "excess") => Some(&["omfördela", "otäckt", "bärs_av:"]),
                ("Pools", "cap") => Some(&["lou"]),
                ("Pools" | "ProviderCosts", "vat") => Some(&["0", "6", "12", "25", "utanför"]),
                ("Parties", "kind") => Some(&["kommun", "region", "kommunalförbund", "annan"]),
                ("Parties", "roles") => Some(&["samordnare", "driftansvarig", "förvaltare"]),
                ("Budget", "inferred") => Some(&["ja", "nej"]),
                _ => None,
            };
            if let Some(list) = list {
                // A warning, not a stop: `weight:<figure>`, `absorb:<party>` and amounts are
                // typed in full.
                let v = DataValidation::new()
                    .allow_list_strings(list)?
                    .set_error_style(DataValidationErrorStyle::Warning);
                ws.add_data_validation(1, c, 1000, c, &v)?;
            }
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sheet, column and setting has a Swedish name and a Swedish explanation: none
    /// falls back to English silently.
    #[test]
    fn every_sheet_column_and_setting_is_explained_in_swedish() {
        let mut missing = Vec::new();
        for spec in SHEETS {
            if spec.aliases.is_empty() {
                missing.push(format!("sheet {} has no Swedish name", spec.name));
            }
            if !SV_SHEETS.iter().any(|(k, _)| *k == spec.name) {
                missing.push(format!("sheet {}", spec.name));
            }
            for c in spec.columns {
                if c.aliases.is_empty() {
                    missing.push(format!("{}.{} has no Swedish name", spec.name, c.name));
                }
                if !SV_COLUMNS
                    .iter()
                    .any(|(s, k, _)| *s == spec.name && *k == c.name)
                {
                    missing.push(format!("{}.{}", spec.name, c.name));
                }
            }
        }
        for (name, aliases, _) in SETTINGS {
            if aliases.is_empty() {
                missing.push(format!("setting {name} has no Swedish name"));
            }
            if !SV_SETTINGS.iter().any(|(k, _)| k == name) {
                missing.push(format!("setting {name}"));
            }
        }
        assert!(missing.is_empty(), "not in Swedish: {missing:?}");
        // And nothing explained that the reader does not know.
        for (sheet, column, _) in SV_COLUMNS {
            assert!(
                SHEETS
                    .iter()
                    .any(|s| s.name == *sheet && s.columns.iter().any(|c| c.name == *column)),
                "{sheet}.{column}"
            );
        }
    }
}
