//! R16 Every figure can be explained: how each allocated amount was derived, as structured
//! steps renderable as plain text (docs/rules.md, section "R16 Every figure can be
//! explained"). Amounts in the words of an explanation are written the Swedish way
//! (`1 234,50`, [`Money::to_swedish`]), not in [`Money`]'s plain `{}` form (`1234.50`); see
//! [`Explanation`].

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::agreement::{PartyId, SourceRef};
use crate::error::PoolId;
use crate::money::{group_thousands, Money};
use crate::pool::{Allocation, ExcessPolicy, Part, Ratio};

pub use crate::text::{Language, Text};

/// The derivation of one party's amount for one pool.
///
/// Amounts in its words are written the way people read them, the Swedish way
/// ([`Money::to_swedish`]: `1 234 567,50`), while [`Money`]'s `{}` is the plain form machines
/// read back (`1234567.50`, as in `lines.csv` and JSON): the difference is on purpose, and
/// documented on [`Money`] too. The `amount` field is a [`Money`]; format it either way.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Explanation {
    /// The pool.
    pub pool: PoolId,
    /// The party.
    pub party: PartyId,
    /// What the party pays for the pool.
    pub amount: Money,
    /// The steps, from the inputs to the amount.
    pub steps: Steps,
}

/// The steps of an explanation, from the inputs to the amount: a list of [`Step`]s, whose
/// first steps may be shared with other explanations rather than copied into each (issue 12:
/// the annual fee's derivation, the same for every user-fee line of a period, was copied into
/// each of them: gigabytes at 100,000 parties).
///
/// It reads as a slice would: iterate it (`for step in &explanation.steps`), take its
/// [`Steps::len`], a step by index; it is built with [`Steps::push`], `extend` or from a
/// `Vec<Step>`. Two lists of the same steps are equal however they are held.
///
/// ```
/// use std::sync::Arc;
/// use billing_core::explain::{Step, Steps, Text};
///
/// let shared: Arc<[Step]> = vec![Step::input(Text::plain("F"), Text::plain("600"), None)].into();
/// let mut steps = Steps::after(shared.clone());
/// steps.push(Step::input(Text::plain("n"), Text::plain("12"), None));
/// assert_eq!(steps.len(), 2);
/// assert_eq!(steps[0].value.get(billing_core::Language::Sv), "600");
/// let copied: Steps = steps.iter().cloned().collect::<Vec<_>>().into();
/// assert_eq!(copied, steps);
/// ```
#[derive(Clone, Default)]
pub struct Steps {
    /// The first steps, shared.
    shared: Option<Arc<[Step]>>,
    /// The steps after them, this explanation's own.
    own: Vec<Step>,
}

impl Steps {
    /// No steps.
    pub fn new() -> Steps {
        Steps::default()
    }

    /// The steps `shared` (held once, whatever the number of explanations that start with
    /// them), followed by those pushed.
    pub fn after(shared: Arc<[Step]>) -> Steps {
        Steps {
            shared: Some(shared),
            own: Vec::new(),
        }
    }

    /// Adds a step at the end.
    pub fn push(&mut self, step: Step) {
        self.own.push(step);
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.shared.as_deref().map_or(0, <[Step]>::len) + self.own.len()
    }

    /// Whether there is no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The steps in order.
    pub fn iter(&self) -> std::iter::Chain<std::slice::Iter<'_, Step>, std::slice::Iter<'_, Step>> {
        self.shared
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .chain(self.own.iter())
    }

    /// The step at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&Step> {
        let shared = self.shared.as_deref().unwrap_or(&[]);
        match index.checked_sub(shared.len()) {
            None => shared.get(index),
            Some(i) => self.own.get(i),
        }
    }

    /// The first step.
    pub fn first(&self) -> Option<&Step> {
        self.get(0)
    }

    /// The last step.
    pub fn last(&self) -> Option<&Step> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
}

impl std::ops::Index<usize> for Steps {
    type Output = Step;

    /// The step at `index`.
    ///
    /// # Panics
    /// When there are `index` steps or fewer, as a slice does.
    fn index(&self, index: usize) -> &Step {
        match self.get(index) {
            Some(step) => step,
            None => &self.own[index],
        }
    }
}

impl From<Vec<Step>> for Steps {
    fn from(own: Vec<Step>) -> Steps {
        Steps { shared: None, own }
    }
}

impl FromIterator<Step> for Steps {
    fn from_iter<I: IntoIterator<Item = Step>>(iter: I) -> Steps {
        Steps::from(iter.into_iter().collect::<Vec<Step>>())
    }
}

impl Extend<Step> for Steps {
    fn extend<I: IntoIterator<Item = Step>>(&mut self, iter: I) {
        self.own.extend(iter);
    }
}

impl<'a> IntoIterator for &'a Steps {
    type Item = &'a Step;
    type IntoIter = std::iter::Chain<std::slice::Iter<'a, Step>, std::slice::Iter<'a, Step>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Steps {
    fn eq(&self, other: &Steps) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Steps {}

impl fmt::Debug for Steps {
    /// As a list of the steps, however they are held.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Steps {
    /// As a sequence of the steps, however they are held.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// One step of a derivation: an input, a computed value or a rounding.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Step {
    /// What the value is, in words.
    pub label: Text,
    /// How it was computed, if it was, e.g. `2 000 000,00 × 935 619 / 2 269 060`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub formula: Option<Text>,
    /// The value, formatted the Swedish way.
    pub value: Text,
    /// Where an input was read, e.g. `Parties!C7`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub source: Option<SourceRef>,
    /// The figure the step states, where a writer may need it as a number rather than as
    /// words (e.g. the users counted, the annual fee): never parsed back from the wording.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub figure: Option<Figure>,
}

/// What a step's figure is, for a writer that rebuilds the computation (the audit workbook).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Figure {
    /// The users counted on one day, n.
    Users(u64),
    /// Member days weighted by the fee multiplier, Σ m(d) (`user_days`: summed over users).
    WeightedDays {
        /// Whether the days are user-days (pro rata) rather than member days.
        user_days: bool,
        /// Days (or user-days) in the first year, at the first-year multiplier.
        first_year: i64,
        /// Days (or user-days) at the multiplier 1.
        other: i64,
    },
    /// What was billed before for the period.
    Billed(Money),
    /// The users N of a budget at its reference date.
    BudgetUsers(u64),
}

impl Step {
    /// An input value and where it was read.
    pub fn input(label: Text, value: Text, source: Option<&SourceRef>) -> Step {
        Step {
            label,
            formula: None,
            value,
            source: source.cloned(),
            figure: None,
        }
    }

    /// A computed value and how it was computed.
    pub fn computed(label: Text, formula: Text, value: Text) -> Step {
        Step {
            label,
            formula: Some(formula),
            value,
            source: None,
            figure: None,
        }
    }

    /// The step with the figure it states.
    pub fn with_figure(mut self, figure: Figure) -> Step {
        self.figure = Some(figure);
        self
    }
}

impl Explanation {
    /// The derivation as plain text in `language`.
    pub fn render(&self, language: Language) -> String {
        let (pool, party) = match language {
            Language::Sv => ("kostnadspost", "part"),
            Language::En => ("pool", "party"),
        };
        let mut out = format!(
            "{pool} {}, {party} {}: {}\n",
            self.pool,
            self.party,
            self.amount.to_swedish()
        );
        for step in &self.steps {
            out.push_str("  ");
            out.push_str(step.label.get(language));
            out.push_str(": ");
            if let Some(formula) = &step.formula {
                out.push_str(formula.get(language));
                out.push_str(" = ");
            }
            out.push_str(step.value.get(language));
            if let Some(source) = &step.source {
                out.push_str(&format!(" ({source})"));
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Explanation {
    /// The derivation in English (see [`Explanation::render`] for another language).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Language::En))
    }
}

/// A decimal the Swedish way, with at most `dp` decimals and no trailing zeros: `1 234,5678`.
pub fn swedish_decimal(value: Decimal, dp: u32) -> String {
    let v = value.round_dp(dp).normalize();
    let text = v.abs().to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if v.is_sign_negative() && !v.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", group_thousands(whole))
    } else {
        format!("{sign}{},{frac}", group_thousands(whole))
    }
}

fn ratio(r: &Ratio) -> String {
    swedish_decimal(r.kronor(), 10)
}

/// What explaining a party's part needs of every part of an allocation, added up once: with
/// it, explaining every party of a pool is O(n log n), not O(n²) (issue 12). Made by
/// [`Allocation::explainer`].
#[derive(Debug)]
pub struct Explainer<'a> {
    allocation: &'a Allocation,
    /// Parts capped (in any round, or under `absorb`/`uncovered`).
    capped: usize,
    /// Parts in the rounded split, and the users outside when they took part in it.
    splitters: usize,
    /// The uncapped parts' basis and rounded shares added up (under `redistribute`).
    uncapped_basis: Decimal,
    uncapped_rounded: Money,
    /// Each round's capped parties, sorted, for a binary search.
    rounds_capped: Vec<Vec<&'a PartyId>>,
}

impl Allocation {
    /// How `party`'s amount for this pool was derived, or `None` if it neither shares the pool
    /// nor absorbs its excess. O(n) in the parts: to explain many parties of one pool, make
    /// one [`Allocation::explainer`].
    pub fn explain(&self, party: &PartyId) -> Option<Explanation> {
        self.explainer().explain(party)
    }

    /// The sums over every part that an explanation quotes, computed once for the whole pool.
    pub fn explainer(&self) -> Explainer<'_> {
        let uncapped = self.parts.iter().filter(|p| p.capped_in_round.is_none());
        Explainer {
            allocation: self,
            capped: self
                .parts
                .iter()
                .filter(|p| p.capped_in_round.is_some())
                .count(),
            splitters: self.parts.iter().filter(|p| p.rounded_by_remainder).count()
                + usize::from(self.outside_in_split().is_some()),
            uncapped_basis: uncapped.clone().map(|p| p.basis).sum(),
            uncapped_rounded: uncapped.map(|p| p.rounded).sum(),
            rounds_capped: self
                .rounds
                .iter()
                .map(|r| {
                    let mut capped: Vec<&PartyId> = r.capped.iter().collect();
                    capped.sort_unstable();
                    capped
                })
                .collect(),
        }
    }
}

impl std::ops::Deref for Explainer<'_> {
    type Target = Allocation;

    fn deref(&self) -> &Allocation {
        self.allocation
    }
}

impl Explainer<'_> {
    /// How `party`'s amount for the pool was derived, or `None` if it neither shares the pool
    /// nor absorbs its excess: the same as [`Allocation::explain`].
    pub fn explain(&self, party: &PartyId) -> Option<Explanation> {
        let part = self.part(party);
        let absorbs = matches!(&self.absorbed, Some((p, _)) if p == party);
        if part.is_none() && !absorbs {
            return None;
        }
        let mut steps = vec![Step::input(
            Text::new(
                format!("kostnadspost {} ({})", self.name, self.pool),
                format!("pool {} ({})", self.name, self.pool),
            ),
            Text::plain(format!("{} {}", self.amount.to_swedish(), self.currency)),
            self.source.as_ref(),
        )];
        steps.push(Step::input(
            Text::new("fördelningsnyckel", "key"),
            key_text(self.key),
            None,
        ));
        self.explain_outside(&mut steps);
        if let Some(part) = part {
            self.explain_part(part, &mut steps);
        }
        if let Some((_, absorbed)) = self.absorbed.as_ref().filter(|_| absorbs) {
            let capped = self.capped;
            steps.push(Step::computed(
                Text::new(
                    "bär det överskjutande beloppet över takbeloppet",
                    "absorbs the excess above the cap",
                ),
                Text::new(
                    format!(
                        "{capped} andel(ar) vid takbeloppet, summan av deras överskjutande belopp"
                    ),
                    format!("{capped} capped part(s), sum of their excess"),
                ),
                Text::plain(absorbed.to_swedish()),
            ));
        }
        let amount = self.amount_for(party);
        if let Some(i) = &self.instalment {
            let whole = self.whole_part(party).unwrap_or_default()
                + if absorbs {
                    i.whole_absorbed.unwrap_or_default()
                } else {
                    Money::ZERO
                };
            steps.push(Step::computed(
                Text::new(
                    format!("delbetalning {} av {}", i.number, i.of),
                    format!("instalment {} of {}", i.number, i.of),
                ),
                Text::new(
                    format!(
                        "{} för hela kostnadsposten på {} i {} lika delbetalningar, udda ören på de första",
                        whole.to_swedish(),
                        i.whole_amount.to_swedish(),
                        i.of
                    ),
                    format!(
                        "{} for the whole pool of {} in {} equal instalments, the odd öre to the earliest",
                        whole.to_swedish(),
                        i.whole_amount.to_swedish(),
                        i.of
                    ),
                ),
                Text::plain(amount.to_swedish()),
            ));
        }
        steps.push(Step::input(
            Text::new("belopp", "amount"),
            Text::plain(amount.to_swedish()),
            None,
        ));
        Some(Explanation {
            pool: self.pool.clone(),
            party: party.clone(),
            amount,
            steps: steps.into(),
        })
    }

    fn explain_outside(&self, steps: &mut Vec<Step>) {
        let Some(o) = &self.outside else { return };
        let total = group_thousands(&o.total_users.value.to_string());
        steps.push(Step::input(
            Text::new(
                "användare i alla organisationer",
                "users in all organisations",
            ),
            Text::plain(total.clone()),
            o.total_users.source.as_ref(),
        ));
        steps.push(Step::input(
            Text::new("parternas användare", "users of the parties"),
            Text::plain(group_thousands(&o.parties_users.to_string())),
            None,
        ));
        let per_user = self.amount.to_decimal() / Decimal::from(o.total_users.value.max(1));
        steps.push(Step::computed(
            Text::new("kostnad per användare", "cost per user"),
            Text::plain(format!("{} / {total}", self.amount.to_swedish())),
            Text::plain(swedish_decimal(per_user, 10)),
        ));
        steps.push(Step::computed(
            Text::new(
                "parternas exakta andel tillsammans",
                "the parties' exact share together",
            ),
            Text::plain(format!(
                "{} × {} / {}",
                self.amount.to_swedish(),
                o.parties_users,
                o.total_users.value
            )),
            Text::plain(ratio(&o.parties_exact)),
        ));
        steps.push(Step::computed(
            Text::new(
                "parterna betalar tillsammans, på öret",
                "the parties together pay, to öre",
            ),
            Text::new(
                "en fördelning enligt största rest mellan parterna och användarna utanför",
                "one largest-remainder split among the parties and the users outside",
            ),
            Text::plain(o.parties_amount.to_swedish()),
        ));
        steps.push(Step::input(
            Text::new("bärs utanför avtalet", "borne outside the agreement"),
            Text::plain(o.amount.to_swedish()),
            None,
        ));
    }

    fn explain_part(&self, part: &Part, steps: &mut Vec<Step>) {
        let basis = swedish_decimal(part.basis, 10);
        let figure = figure_text(self.key, &self.figure);
        steps.push(Step::input(
            Text::new(
                format!("{} för {}", figure.get(Language::Sv), part.party),
                format!("{} of {}", figure.get(Language::En), part.party),
            ),
            Text::plain(basis.clone()),
            part.basis_source.as_ref(),
        ));
        let n = self.parts.len();
        steps.push(Step::input(
            Text::new(
                format!("{} för alla {n} deltagare", figure.get(Language::Sv)),
                format!("{} of all {n} participants", figure.get(Language::En)),
            ),
            Text::plain(swedish_decimal(self.basis_total, 10)),
            None,
        ));
        let (amount, total) = match &self.outside {
            Some(o) => (
                self.amount,
                group_thousands(&o.total_users.value.to_string()),
            ),
            None => (self.split_amount, swedish_decimal(self.basis_total, 10)),
        };
        steps.push(Step::computed(
            Text::new("exakt andel", "exact share"),
            Text::plain(format!("{} × {} / {}", amount.to_swedish(), basis, total)),
            Text::plain(ratio(&part.exact_share)),
        ));
        if let Some(cap) = &self.cap {
            let origin = match &cap.threshold {
                Some(t) => Text::new(
                    format!(
                        "LOU:s direktupphandlingsgräns, gällande från {}",
                        t.in_force_from
                    ),
                    format!(
                        "LOU direct-award threshold in force from {}",
                        t.in_force_from
                    ),
                ),
                None => Text::new("fast takbelopp", "fixed cap"),
            };
            let excess = excess_text(&cap.excess);
            steps.push(Step::computed(
                Text::new("takbelopp", "cap"),
                origin,
                Text::new(
                    format!(
                        "{} (överskjutande belopp: {})",
                        cap.limit.to_swedish(),
                        excess.get(Language::Sv)
                    ),
                    format!(
                        "{} (excess: {})",
                        cap.limit.to_swedish(),
                        excess.get(Language::En)
                    ),
                ),
            ));
        }
        let redistributed = self
            .cap
            .as_ref()
            .is_some_and(|c| c.excess == ExcessPolicy::Redistribute);
        if redistributed {
            self.explain_rounds(part, steps);
        }
        if part.rounded_by_remainder {
            self.explain_rounding(part, steps);
        }
        if !redistributed && part.capped_in_round.is_some() {
            let whither = match self.cap.as_ref().map(|c| &c.excess) {
                Some(ExcessPolicy::Absorb(p)) => {
                    Text::new(format!("betalas av {p}"), format!("paid by {p}"))
                }
                _ => Text::new("täcks inte", "left uncovered"),
            };
            steps.push(Step::computed(
                Text::new(
                    format!(
                        "över takbeloppet: sänkt till takbeloppet, det överskjutande beloppet {}",
                        whither.get(Language::Sv)
                    ),
                    format!(
                        "above the cap: cut to the cap, the excess {}",
                        whither.get(Language::En)
                    ),
                ),
                Text::plain(format!(
                    "{} − {}",
                    part.rounded.to_swedish(),
                    part.amount.to_swedish()
                )),
                Text::plain(ratio(&part.excess)),
            ));
        }
    }

    fn explain_rounds(&self, part: &Part, steps: &mut Vec<Step>) {
        let figure = figure_text(self.key, &self.figure);
        for (round, capped) in self.rounds.iter().zip(&self.rounds_capped) {
            let here = capped.binary_search(&&part.party).is_ok();
            let (number, amount, basis) = (
                round.number,
                round.amount.to_swedish(),
                swedish_decimal(round.basis_total, 10),
            );
            let label = Text::new(
                format!(
                    "omgång {number}: {amount} fördelas efter {} med underlaget {basis}",
                    figure.get(Language::Sv)
                ),
                format!(
                    "round {number}: {amount} shared by {} of basis {basis}",
                    figure.get(Language::En)
                ),
            );
            let capped = round.capped.len();
            let value = if here {
                let (n, party, excess) = (self.parts.len(), &part.party, ratio(&part.excess));
                Text::new(
                    format!(
                        "{capped} av {n} når takbeloppet här, {party} bland dem, {excess} över takbeloppet och omfördelat"
                    ),
                    format!(
                        "{capped} of {n} capped here, {party} among them, {excess} above the cap and redistributed"
                    ),
                )
            } else {
                Text::new(
                    format!("{capped} andel(ar) vid takbeloppet"),
                    format!("{capped} part(s) capped"),
                )
            };
            steps.push(Step::input(label, value, None));
            if here {
                return;
            }
        }
        if !self.rounds.is_empty() {
            let basis = self.uncapped_basis;
            steps.push(Step::computed(
                Text::new(
                    "andel av det som återstår efter andelarna vid takbeloppet",
                    "share of what is left after the capped parties",
                ),
                Text::plain(format!(
                    "{} × {} / {}",
                    self.uncapped_rounded.to_swedish(),
                    swedish_decimal(part.basis, 10),
                    swedish_decimal(basis, 10)
                )),
                Text::plain(ratio(&part.final_share)),
            ));
        }
    }

    fn explain_rounding(&self, part: &Part, steps: &mut Vec<Step>) {
        // The users outside, when they took part, are one more claimant in the ranking.
        let splitters = self.splitters;
        steps.push(Step::computed(
            Text::new("avkortat till öre", "truncated to öre"),
            Text::plain(format!("{} kr", ratio(&part.final_share))),
            Text::plain(part.truncated.to_swedish()),
        ));
        let rank = self.remainder_rank(part).unwrap_or_default();
        let remainder = part.final_share.minus(part.truncated);
        let verdict = if part.extra_ore {
            Text::new("ett öre läggs till", "one öre added")
        } else {
            Text::new("inget öre läggs till", "no öre added")
        };
        let rule = if self.leftover_ore == 0 {
            Text::new(
                "de avkortade andelarna summerar till beloppet: inga ören över",
                "the truncated shares add up to the amount: no öre left over",
            )
        } else {
            let (rest, left) = (swedish_decimal(remainder.ore().abs(), 6), self.leftover_ore);
            Text::new(
                format!(
                    "resten {rest} öre har plats {rank} av {splitters}; de {left} ören som blir över går till plats 1–{left}"
                ),
                format!(
                    "remainder {rest} öre ranks {rank} of {splitters}; the {left} öre left over go to ranks 1–{left}"
                ),
            )
        };
        steps.push(Step::computed(
            Text::new("största-rest-regeln", "remainder rule"),
            rule,
            verdict,
        ));
        steps.push(Step::input(
            Text::new("avrundad andel", "rounded share"),
            Text::plain(part.rounded.to_swedish()),
            None,
        ));
    }
}

/// A key's name in words.
fn key_text(key: &str) -> Text {
    match key {
        "population" => Text::new("folkmängd", "population"),
        "users" => Text::new("användare", "users"),
        "equal" => Text::new("lika delar", "equal"),
        "weight" => Text::new("vikt", "weight"),
        "fixed" => Text::new("fasta belopp", "fixed"),
        "direct" => Text::new("direkt betalning", "direct"),
        other => Text::plain(other),
    }
}

/// The figure a key reads, in words: a named weight figure is the workbook's own name.
fn figure_text(key: &str, figure: &str) -> Text {
    match key {
        "population" => Text::new("folkmängd", "population"),
        "users" => Text::new("användare", "users"),
        "fixed" => Text::new("fast belopp", "fixed amount"),
        "equal" | "direct" => Text::new("andel", "share"),
        _ => Text::plain(figure),
    }
}

/// An excess policy in words.
fn excess_text(excess: &ExcessPolicy) -> Text {
    match excess {
        ExcessPolicy::Absorb(p) => Text::new(format!("bärs av {p}"), format!("absorb:{p}")),
        ExcessPolicy::Redistribute => Text::new("omfördelas", "redistribute"),
        ExcessPolicy::Uncovered => Text::new("täcks inte", "uncovered"),
    }
}

impl Ratio {
    /// This value less a whole amount.
    pub fn minus(&self, amount: Money) -> Ratio {
        Ratio::new(
            self.numerator() - amount.ore() * self.denominator(),
            self.denominator(),
        )
    }
}
