//! Identifiers on an invoice: organisation numbers (Luhn-checked) and OCR payment references
//! (Bankgirot, mod 10 with an optional length digit).

use std::fmt;

use crate::calendar::error::CalendarError;

/// The Luhn (mod 10) check digit to append to `digits`, or `None` if `digits` is empty or holds
/// anything but ASCII digits.
pub fn luhn_check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // From the rightmost digit, which will sit next to the check digit, every other digit is
    // doubled.
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// A Swedish organisation number, NNNNNN-NNNC, with a valid check digit and 3rd–4th digits of
/// 20 or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgNumber([u8; 10]);

impl OrgNumber {
    /// Parses `NNNNNN-NNNC` or `NNNNNNNNNC`.
    ///
    /// # Errors
    /// [`CalendarError::BadOrgNumber`], saying why: not 10 digits, 3rd–4th digits below 20, or
    /// the wrong check digit (and which one is right).
    pub fn parse(text: &str) -> Result<OrgNumber, CalendarError> {
        let bad = |reason: String| CalendarError::BadOrgNumber {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let digits: String = match trimmed.len() {
            11 if trimmed.as_bytes()[6] == b'-' => {
                format!("{}{}", &trimmed[..6], &trimmed[7..])
            }
            _ => trimmed.to_owned(),
        };
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("must be 10 digits, as NNNNNN-NNNN".to_owned()));
        }
        let b = digits.as_bytes();
        let group = (b[2] - b'0') * 10 + (b[3] - b'0');
        if group < 20 {
            return Err(bad(format!(
                "the 3rd and 4th digits must be 20 or more, found {group:02}"
            )));
        }
        let expected = luhn_check_digit(&digits[..9]).unwrap_or(0);
        let found = b[9] - b'0';
        if expected != found {
            return Err(bad(format!(
                "check digit is {found}, the Luhn check digit of the first nine is {expected}"
            )));
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(b);
        Ok(OrgNumber(out))
    }

    /// The ten digits without the hyphen.
    pub fn digits(&self) -> String {
        self.0.iter().map(|&b| char::from(b)).collect()
    }

    /// The Swedish VAT number: `SE`, the ten digits, `01`.
    pub fn vat_number(&self) -> String {
        format!("SE{}01", self.digits())
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{}-{}", &d[..6], &d[6..])
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for OrgNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for OrgNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<OrgNumber, D::Error> {
        let text = String::deserialize(deserializer)?;
        OrgNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An OCR payment reference from `base` digits: the digits, optionally a length digit (the
/// total length including itself and the check digit, mod 10), and a Luhn check digit over all
/// before it. `123` → `1230`; `1234567890` with a length digit → `123456789023`.
///
/// # Errors
/// [`CalendarError::BadOcr`] when `base` is empty or not all digits, or the reference would be
/// longer than 25 digits.
pub fn ocr_reference(base: &str, with_length_digit: bool) -> Result<String, CalendarError> {
    let bad = |reason: &str| CalendarError::BadOcr {
        text: base.to_owned(),
        reason: reason.to_owned(),
    };
    if base.is_empty() || !base.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("must be one or more digits"));
    }
    let mut out = base.to_owned();
    if with_length_digit {
        out.push(char::from(b'0' + ((base.len() + 2) % 10) as u8));
    }
    if out.len() + 1 > 25 {
        return Err(bad("an OCR reference has at most 25 digits"));
    }
    let check = luhn_check_digit(&out).ok_or_else(|| bad("must be digits"))?;
    out.push(char::from(b'0' + check));
    Ok(out)
}

/// True when `reference` is 2–25 digits whose last is the Luhn check digit of the others, and,
/// with `with_length_digit`, the digit before it is the length mod 10.
pub fn ocr_is_valid(reference: &str, with_length_digit: bool) -> bool {
    let n = reference.len();
    if !(2..=25).contains(&n) || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let b = reference.as_bytes();
    let check_ok = luhn_check_digit(&reference[..n - 1]) == Some(b[n - 1] - b'0');
    let length_ok = !with_length_digit || (n >= 3 && usize::from(b[n - 2] - b'0') == n % 10);
    check_ok && length_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_test_vectors_of_domain_md() {
        assert_eq!(ocr_reference("123", false).unwrap(), "1230");
        assert_eq!(ocr_reference("1234567890", true).unwrap(), "123456789023");
        assert!(ocr_is_valid("1230", false));
        assert!(ocr_is_valid("123456789023", true));
        assert!(!ocr_is_valid("123456789024", true));
        assert!(!ocr_is_valid("123456789033", true));
        assert!(ocr_reference("", false).is_err());
        assert!(ocr_reference("12a", false).is_err());
        assert!(ocr_reference(&"1".repeat(24), false).is_ok());
        assert!(ocr_reference(&"1".repeat(25), false).is_err());
    }

    #[test]
    fn municipal_organisation_numbers() {
        for (text, vat) in [
            ("212000-0142", "SE212000014201"),
            ("212000-1355", "SE212000135501"),
            ("212000-1124", "SE212000112401"),
            ("2120003005", "SE212000300501"),
        ] {
            let org = OrgNumber::parse(text).unwrap();
            assert_eq!(org.vat_number(), vat);
        }
        assert_eq!(
            OrgNumber::parse("2120000142").unwrap().to_string(),
            "212000-0142"
        );
    }

    #[test]
    fn bad_organisation_numbers_say_why() {
        let check = |text: &str, message: &str| {
            assert_eq!(OrgNumber::parse(text).unwrap_err().to_string(), message);
        };
        check(
            "212000-0143",
            "organisation number \"212000-0143\": check digit is 3, the Luhn check digit of the first nine is 2",
        );
        check(
            "211000-0142",
            "organisation number \"211000-0142\": the 3rd and 4th digits must be 20 or more, found 10",
        );
        check(
            "21200-0142",
            "organisation number \"21200-0142\": must be 10 digits, as NNNNNN-NNNN",
        );
        check(
            "",
            "organisation number \"\": must be 10 digits, as NNNNNN-NNNN",
        );
        check(
            "ååååå-ååå",
            "organisation number \"ååååå-ååå\": must be 10 digits, as NNNNNN-NNNN",
        );
    }
}
