//! Parsing, rendering and arithmetic of increments and decimals.

use proptest::prelude::*;

proptest! {
    #[test]
    fn exact_division_by_powers_of_ten_matches_the_divide_instruction(
        n in prop_oneof![any::<u64>(), (0u64..1_000_000).prop_map(|x| x * 1000), Just(0u64)],
        k in 0u8..22,
    ) {
        let expected = match 10u64.checked_pow(u32::from(k)) {
            Some(p) => (n % p == 0).then_some(n / p),
            None => (n == 0).then_some(0),
        };
        prop_assert_eq!(exact_div_pow10(n, k), expected);
    }
}

use super::*;

fn inc(s: &str) -> Increment {
    Increment::parse(s).unwrap()
}

#[test]
fn parses_venue_strings_exactly() {
    struct Case {
        label: &'static str,
        increment: &'static str,
        input: &'static str,
        expected: Result<i64, DecimalError>,
    }
    let cases = [
        Case {
            label: "futures price",
            increment: "0.10",
            input: "61659.70",
            expected: Ok(616_597),
        },
        Case {
            label: "no fraction",
            increment: "0.10",
            input: "61659",
            expected: Ok(616_590),
        },
        Case {
            label: "spot qty, extra zeros",
            increment: "0.001",
            input: "0.00100000",
            expected: Ok(1),
        },
        Case {
            label: "zero size",
            increment: "0.001",
            input: "0.000",
            expected: Ok(0),
        },
        Case {
            label: "negative price",
            increment: "0.01",
            input: "-37.63",
            expected: Ok(-3763),
        },
        Case {
            label: "tick of 5",
            increment: "5",
            input: "61665",
            expected: Ok(12_333),
        },
        Case {
            label: "tick of 0.5",
            increment: "0.5",
            input: "100.5",
            expected: Ok(201),
        },
        Case {
            label: "off tick 0.10",
            increment: "0.10",
            input: "61659.75",
            expected: Err(DecimalError::OffGrid),
        },
        Case {
            label: "off tick 0.5",
            increment: "0.5",
            input: "100.3",
            expected: Err(DecimalError::OffGrid),
        },
        Case {
            label: "off tick of 5",
            increment: "5",
            input: "61666",
            expected: Err(DecimalError::OffGrid),
        },
        Case {
            label: "empty",
            increment: "0.1",
            input: "",
            expected: Err(DecimalError::Empty),
        },
        Case {
            label: "letters",
            increment: "0.1",
            input: "12a.5",
            expected: Err(DecimalError::InvalidByte { byte: b'a', pos: 2 }),
        },
        Case {
            label: "two points",
            increment: "0.1",
            input: "1.2.3",
            expected: Err(DecimalError::InvalidByte { byte: b'.', pos: 3 }),
        },
        Case {
            label: "exponent",
            increment: "0.1",
            input: "1e5",
            expected: Err(DecimalError::InvalidByte { byte: b'e', pos: 1 }),
        },
        Case {
            label: "plus sign",
            increment: "0.1",
            input: "+1",
            expected: Err(DecimalError::InvalidByte { byte: b'+', pos: 0 }),
        },
        Case {
            label: "bare point",
            increment: "0.1",
            input: ".5",
            expected: Err(DecimalError::MissingDigits),
        },
        Case {
            label: "trailing point",
            increment: "0.1",
            input: "5.",
            expected: Err(DecimalError::MissingDigits),
        },
        Case {
            label: "bare minus",
            increment: "0.1",
            input: "-",
            expected: Err(DecimalError::MissingDigits),
        },
        Case {
            label: "overflow",
            increment: "0.1",
            input: "99999999999999999999",
            expected: Err(DecimalError::Overflow),
        },
        Case {
            label: "overflow i64",
            increment: "1",
            input: "9223372036854775808",
            expected: Err(DecimalError::Overflow),
        },
        Case {
            label: "i64 max",
            increment: "1",
            input: "9223372036854775807",
            expected: Ok(i64::MAX),
        },
        Case {
            label: "too long",
            increment: "0.1",
            input: "1.00000000000000000000000000000000000000000",
            expected: Err(DecimalError::TooManyDigits),
        },
        Case {
            label: "unicode digit",
            increment: "0.1",
            input: "١",
            expected: Err(DecimalError::InvalidByte { byte: 0xd9, pos: 0 }),
        },
    ];
    for case in cases {
        let got = inc(case.increment).steps(case.input.as_bytes());
        assert_eq!(got, case.expected, "{}", case.label);
    }
}

#[test]
fn unsigned_refuses_negative_but_not_negative_zero() {
    let lot = inc("0.001");
    assert_eq!(lot.steps_unsigned(b"-0.001"), Err(DecimalError::Negative));
    assert_eq!(lot.steps_unsigned(b"-0.000"), Ok(0));
}

#[test]
fn increments_refuse_nonsense() {
    assert_eq!(Increment::parse("0"), Err(DecimalError::ZeroIncrement));
    assert_eq!(Increment::parse("0.000"), Err(DecimalError::ZeroIncrement));
    assert_eq!(Increment::parse("-0.1"), Err(DecimalError::Negative));
    assert_eq!(
        Increment::parse("0.0000000000000000001"),
        Err(DecimalError::TooManyDigits)
    );
    assert!(Increment::parse("abc").is_err());
}

#[test]
fn renders_back_exactly() {
    let tick = inc("0.10");
    assert_eq!(tick.display(616_597).as_str(), "61659.70");
    assert_eq!(tick.display_trimmed(616_597).as_str(), "61659.7");
    assert_eq!(tick.display_trimmed(616_590).as_str(), "61659");
    assert_eq!(tick.display(-5).as_str(), "-0.50");
    assert_eq!(tick.display(0).as_str(), "0.00");
    assert_eq!(inc("5").display(12_333).as_str(), "61665");
    assert_eq!(inc("0.00000001").display(1).as_str(), "0.00000001");
    assert_eq!(inc("1").display(i64::MIN).as_str(), "-9223372036854775808");
    assert_eq!(tick.to_string(), "0.10");
    assert!((tick.to_f64(616_597) - 61659.7).abs() < 1e-9);
}

#[test]
fn ratios_are_exact_or_rounded_half_to_even_at_18_decimals() {
    let d = |s: &str| Decimal::parse(s).unwrap();
    assert_eq!(d("530").checked_mul_ratio(4, 5), Some(d("424")));
    assert_eq!(
        d("1").checked_mul_ratio(1, 3),
        Some(d("0.333333333333333333"))
    );
    assert_eq!(
        d("2").checked_mul_ratio(1, 3),
        Some(d("0.666666666666666667"))
    );
    assert_eq!(
        d("-2").checked_mul_ratio(1, 3),
        Some(d("-0.666666666666666667"))
    );
    // Exactly half at the 18th decimal rounds to even.
    assert_eq!(
        d("0.000000000000000001").checked_mul_ratio(1, 2),
        Some(Decimal::ZERO)
    );
    assert_eq!(
        d("0.000000000000000003").checked_mul_ratio(1, 2),
        Some(d("0.000000000000000002"))
    );
    assert_eq!(d("1").checked_mul_ratio(1, 0), None);
}

#[test]
fn decimals_add_and_subtract_exactly() {
    let d = |s: &str| Decimal::parse(s).unwrap();
    assert_eq!(d("0.1").checked_add(d("0.02")), Some(d("0.12")));
    assert_eq!(d("1000").checked_sub(d("61659.7")), Some(d("-60659.7")));
    assert_eq!(d("0.5").checked_sub(d("0.5")), Some(Decimal::ZERO));
    assert_eq!(
        d("0.000000000000000001").checked_add(d("1")),
        Some(d("1.000000000000000001"))
    );
}

#[test]
fn decimals_compare_by_value() {
    let a = Decimal::parse("100").unwrap();
    let b = Decimal::parse("100.000").unwrap();
    assert_eq!(a, b);
    assert!(Decimal::parse("0.0002").unwrap() < Decimal::parse("0.0005").unwrap());
    assert!(Decimal::parse("-0.00005").unwrap().is_negative());
    assert_eq!(Decimal::parse("-0.000050").unwrap().to_string(), "-0.00005");
    let notional = Decimal::from_steps(616_597, &inc("0.10"))
        .checked_mul(Decimal::from_steps(3, &inc("0.001")))
        .unwrap();
    assert_eq!(notional.to_string(), "184.9791");
}

proptest::proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..60)) {
        let _ = inc("0.10").steps(&bytes);
        let _ = inc("7").steps_unsigned(&bytes);
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = Increment::parse(s);
            let _ = Decimal::parse(s);
        }
    }

    #[test]
    fn display_then_parse_is_identity(steps in -(1i64 << 50)..(1i64 << 50), inc_idx in 0usize..5) {
        let grid = ["0.10", "0.001", "5", "0.5", "0.00000001"][inc_idx];
        let increment = inc(grid);
        let text = increment.display(steps);
        proptest::prop_assert_eq!(increment.steps(text.as_bytes()), Ok(steps));
        let trimmed = increment.display_trimmed(steps);
        proptest::prop_assert_eq!(increment.steps(trimmed.as_bytes()), Ok(steps));
    }
}

#[test]
fn division_rounds_half_to_even_at_eighteen_decimals() {
    let d = |s: &str| Decimal::parse(s).unwrap();
    // 100 USD at 60 000 USD/BTC is 0.001666… BTC.
    assert_eq!(
        d("100").checked_div(d("60000")).unwrap().to_string(),
        "0.001666666666666667"
    );
    assert_eq!(d("1").checked_div(d("4")).unwrap().to_string(), "0.25");
    assert_eq!(
        d("-1").checked_div(d("3")).unwrap().to_string(),
        "-0.333333333333333333"
    );
    assert_eq!(
        d("2").checked_div(d("-3")).unwrap().to_string(),
        "-0.666666666666666667"
    );
    assert_eq!(d("0.5").checked_div(d("0.25")).unwrap(), d("2"));
    assert_eq!(d("1").checked_div(Decimal::ZERO), None);
    // Half to even at the 18th decimal: 5e-19 → 0, 15e-19 → 2e-18.
    assert_eq!(
        d("0.000000000000000005").checked_div(d("10")).unwrap(),
        Decimal::ZERO
    );
    assert_eq!(
        d("0.000000000000000015")
            .checked_div(d("10"))
            .unwrap()
            .to_string(),
        "0.000000000000000002"
    );
}

proptest::proptest! {
    #[test]
    fn division_undoes_multiplication(a in -1_000_000_000i64..1_000_000_000, b in 1i64..1_000_000) {
        let (a, b) = (Decimal::from(a), Decimal::from(b));
        let product = a.checked_mul(b).unwrap();
        proptest::prop_assert_eq!(product.checked_div(b), Some(a));
    }
}
