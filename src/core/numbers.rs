//! Numbers as pages print them: thousands separated (`15,000`), money with its
//! currency's symbol (`$12,400`), so a reader does not count digits.
//!
//! In: an integer, or an amount and site.toml's `currency` code. Out: the text.
//! Pure and deterministic (no locale is read): every page of a site, and every
//! machine that builds it, prints a number the same way.

/// An integer with a comma between each group of three digits: `-1,234,567`.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The symbol a currency code is written with, for the common ones; `None` for
/// the others, which keep their code.
fn symbol(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_uppercase().as_str() {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" | "CNY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        "CAD" => "CA$",
        "AUD" => "A$",
        "BRL" => "R$",
        _ => return None,
    })
}

/// An amount of money in `currency` (an ISO 4217 code): `$12,400`, `€99.50`, or
/// `1,200 CHF` for a code without a symbol here. Whole amounts print no cents;
/// others print two decimals.
pub fn money(amount: f64, currency: &str) -> String {
    let cents = (amount.abs() * 100.0).round();
    let sign = if amount < 0.0 && cents > 0.0 { "-" } else { "" };
    // Saturates for amounts beyond i64, which no record means.
    let cents = cents as i64;
    let whole = thousands(cents / 100);
    let number = if cents % 100 == 0 {
        whole
    } else {
        format!("{whole}.{:02}", cents % 100)
    };
    match symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None if currency.is_empty() => format!("{sign}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(15000), "15,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn money_takes_its_currency_symbol() {
        assert_eq!(money(12400.0, "USD"), "$12,400");
        assert_eq!(money(99.5, "EUR"), "€99.50");
        assert_eq!(money(1200.0, "CHF"), "1,200 CHF");
        assert_eq!(money(-5.0, "usd"), "-$5");
        assert_eq!(money(0.004, "USD"), "$0");
        assert_eq!(money(f64::NAN, "USD"), "$0");
        assert_eq!(money(7.0, ""), "7");
    }
}
