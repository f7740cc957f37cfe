//! Release families in order (mid-server.md "How to read": Istanbul < ... < Brazil), read
//! from a buildstamp's first word, so rules tied to a release ("from Rome", "before Orlando")
//! can be applied to an installed version.

/// Families oldest first, as they are written in buildstamps.
const FAMILIES: [&str; 20] = [
    "istanbul",
    "jakarta",
    "kingston",
    "london",
    "madrid",
    "newyork",
    "orlando",
    "paris",
    "quebec",
    "rome",
    "sandiego",
    "tokyo",
    "utah",
    "vancouver",
    "washingtondc",
    "xanadu",
    "yokohama",
    "zurich",
    "australia",
    "brazil",
];

/// A release family's place in the order (0 = Istanbul).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(usize);

impl Release {
    pub const ORLANDO: Release = Release(6);
    pub const ROME: Release = Release(9);

    /// The family of a buildstamp (`sandiego-12-22-2021__patch9a...` → San Diego). An unknown
    /// word (a release newer than this table) is `None`: callers say they could not tell.
    pub fn of_buildstamp(stamp: &str) -> Option<Release> {
        let word = stamp
            .trim()
            .split(['-', '_', '.'])
            .next()?
            .to_ascii_lowercase();
        FAMILIES.iter().position(|f| *f == word).map(Release)
    }

    pub fn name(self) -> &'static str {
        FAMILIES.get(self.0).copied().unwrap_or("?")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_families() {
        let r = |s| Release::of_buildstamp(s).unwrap();
        assert!(r("newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701") < Release::ORLANDO);
        assert_eq!(
            r("orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701"),
            Release::ORLANDO
        );
        assert!(
            r("sandiego-12-22-2021__patch9a-hotfix1-01-31-2023_02-01-2023_1625") > Release::ROME
        );
        assert!(r("Yokohama-12-18-2024__patch12") > Release::ROME);
        assert_eq!(Release::of_buildstamp("fixed"), None);
        assert_eq!(Release::of_buildstamp(""), None);
    }
}
