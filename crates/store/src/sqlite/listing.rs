//! The listing index of the mirror: each (account, product, region)'s live
//! instances in the default orders, so that a page reads about a page of
//! records instead of filtering and sorting the account's whole fleet.
//!
//! Newest first (`CreatedDesc`) is one ordered set per scope; instances in
//! the recycle bin have a second set, which `IsolatedFirstThenCreatedDesc`
//! (Lighthouse's default) lists before the rest. A listing over every
//! region merges the scopes' sets. Filtered listings and the expiry orders
//! use the plain filter-and-sort ([`InstanceQuery::select`]) over the
//! account's instances; the results are the same, which a property test
//! checks against random fleets and queries.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use stratus_engine::clock::Timestamp;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::Instance;
use stratus_engine::name::Name;
use stratus_engine::ports::{InstanceOrder, InstanceQuery};

/// An instance's place newest first: creation time, then id, both
/// descending (the order [`InstanceQuery::compare`] defines).
pub(crate) type NewestFirst = (Reverse<Timestamp>, Reverse<String>);

/// The key of one scope's sets.
type Scope = (Name, Name, Name);

/// One scope's live instances.
#[derive(Debug, Default)]
struct Sets {
    all: BTreeSet<NewestFirst>,
    /// Those in the recycle bin (also in `all`).
    isolated: BTreeSet<NewestFirst>,
}

/// The index; the mirror updates it with every committed instance change.
#[derive(Debug, Default)]
pub(crate) struct ListingIndex {
    scopes: HashMap<Scope, Sets>,
    /// The regions each (account, product) has instances in.
    regions: HashMap<(Name, Name), BTreeSet<Name>>,
}

fn place(i: &Instance) -> NewestFirst {
    (Reverse(i.created_at), Reverse(i.id.clone()))
}

/// Whether an instance sits in the same sets before and after a change.
fn same_place(old: &Instance, new: &Instance) -> bool {
    let isolated = |i: &Instance| i.state == LifecycleState::Isolated;
    old.state != LifecycleState::Terminated
        && new.state != LifecycleState::Terminated
        && old.created_at == new.created_at
        && old.id == new.id
        && old.account == new.account
        && old.product == new.product
        && old.region == new.region
        && isolated(old) == isolated(new)
}

fn scope(i: &Instance) -> Scope {
    (i.account.clone(), i.product.clone(), i.region.clone())
}

impl ListingIndex {
    /// Records that `old` (if any) became `new` (`None`: gone).
    pub fn update(&mut self, old: Option<&Instance>, new: Option<&Instance>) {
        // Most changes (a reboot, a new password) move nothing.
        if let (Some(old), Some(new)) = (old, new) {
            if same_place(old, new) {
                return;
            }
        }
        if let Some(old) = old {
            let key = scope(old);
            if let Some(sets) = self.scopes.get_mut(&key) {
                let p = place(old);
                sets.all.remove(&p);
                sets.isolated.remove(&p);
                if sets.all.is_empty() {
                    self.scopes.remove(&key);
                    let (account, product, region) = key;
                    let pair = (account, product);
                    if let Some(regions) = self.regions.get_mut(&pair) {
                        regions.remove(&region);
                        if regions.is_empty() {
                            self.regions.remove(&pair);
                        }
                    }
                }
            }
        }
        if let Some(new) = new.filter(|i| i.state != LifecycleState::Terminated) {
            let key = scope(new);
            let sets = self.scopes.entry(key).or_default();
            sets.all.insert(place(new));
            if new.state == LifecycleState::Isolated {
                sets.isolated.insert(place(new));
            }
            self.regions
                .entry((new.account.clone(), new.product.clone()))
                .or_default()
                .insert(new.region.clone());
        }
    }

    /// The page of ids `query` asks for, with the total, if the index can
    /// answer it (no filters, a default order); `None` otherwise.
    pub fn page(&self, query: &InstanceQuery) -> Option<(usize, Vec<String>)> {
        if !query.filters.is_empty() {
            return None;
        }
        let isolated_first = match query.order {
            InstanceOrder::CreatedDesc => false,
            InstanceOrder::IsolatedFirstThenCreatedDesc => true,
            InstanceOrder::ExpiresAsc | InstanceOrder::ExpiresDesc => return None,
        };
        let account = Name::new(&query.account);
        let product = Name::new(&query.product);
        let sets: Vec<&Sets> = match &query.region {
            Some(region) => self
                .scopes
                .get(&(account, product, Name::new(region)))
                .into_iter()
                .collect(),
            None => self
                .regions
                .get(&(account.clone(), product.clone()))
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    self.scopes
                        .get(&(account.clone(), product.clone(), r.clone()))
                })
                .collect(),
        };
        let total = sets.iter().map(|s| s.all.len()).sum();
        let ids: Vec<String> = if isolated_first {
            let bin = merged(sets.iter().map(|s| s.isolated.iter()).collect());
            let rest = merged(sets.iter().map(|s| s.all.iter()).collect())
                .filter(|p| !sets.iter().any(|s| s.isolated.contains(*p)));
            bin.chain(rest)
                .skip(query.offset)
                .take(query.limit)
                .map(|(_, Reverse(id))| id.clone())
                .collect()
        } else {
            merged(sets.iter().map(|s| s.all.iter()).collect())
                .skip(query.offset)
                .take(query.limit)
                .map(|(_, Reverse(id))| id.clone())
                .collect()
        };
        Some((total, ids))
    }
}

/// The items of several ascending iterators, in ascending order (a listing
/// spans few regions, so picking the least head each step is enough).
fn merged<'a, I>(iters: Vec<I>) -> impl Iterator<Item = &'a NewestFirst>
where
    I: Iterator<Item = &'a NewestFirst>,
{
    let mut heads: Vec<std::iter::Peekable<I>> =
        iters.into_iter().map(Iterator::peekable).collect();
    std::iter::from_fn(move || {
        let mut best: Option<(usize, &NewestFirst)> = None;
        for (i, iter) in heads.iter_mut().enumerate() {
            let Some(&head) = iter.peek() else {
                continue;
            };
            if best.is_none_or(|(_, current)| head < current) {
                best = Some((i, head));
            }
        }
        best.and_then(|(b, _)| heads[b].next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// xorshift64*: reproducible fleets without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
        }

        fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
            of[self.below(of.len() as u64) as usize]
        }
    }

    const ACCOUNTS: [&str; 2] = ["alice", "bob"];
    const PRODUCTS: [&str; 2] = ["lighthouse", "zec"];
    const REGIONS: [&str; 3] = ["r1", "r2", "r3"];
    const STATES: [LifecycleState; 5] = [
        LifecycleState::Running,
        LifecycleState::Stopped,
        LifecycleState::Isolated,
        LifecycleState::Pending,
        LifecycleState::Terminated,
    ];

    #[test]
    fn indexed_pages_equal_the_plain_filter_and_sort() {
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut index = ListingIndex::default();
            // The live fleet as the mirror holds it, by (account, id).
            let mut live: BTreeMap<(String, String), Instance> = BTreeMap::new();
            for step in 0..rng.below(120) {
                // New instances, and changes (state, recycle bin, end) to old ones.
                let id = format!("i-{:03}", rng.below(60));
                let account = rng.pick(&ACCOUNTS).to_string();
                let old = live.get(&(account.clone(), id.clone())).cloned();
                let mut new = old.clone().unwrap_or_else(|| {
                    let mut i =
                        Instance::example(&id, &account, rng.pick(&PRODUCTS), rng.pick(&REGIONS));
                    // Few distinct times, so ids break many ties.
                    i.created_at = Timestamp(rng.below(8) as i64 * 1000);
                    i
                });
                new.state = STATES[rng.below(STATES.len() as u64) as usize];
                new.version = step;
                index.update(old.as_ref(), Some(&new));
                if new.state == LifecycleState::Terminated {
                    live.remove(&(account, id));
                } else {
                    live.insert((account, id), new);
                }
            }
            for _ in 0..60 {
                let query = InstanceQuery {
                    account: rng.pick(&ACCOUNTS).into(),
                    product: rng.pick(&PRODUCTS).into(),
                    region: (rng.below(3) > 0).then(|| rng.pick(&REGIONS).to_string()),
                    filters: Vec::new(),
                    order: if rng.below(2) == 0 {
                        InstanceOrder::CreatedDesc
                    } else {
                        InstanceOrder::IsolatedFirstThenCreatedDesc
                    },
                    offset: rng.below(30) as usize,
                    limit: 1 + rng.below(25) as usize,
                };
                let plain = query.select(live.values());
                let (total, ids) = index.page(&query).expect("a plain listing is indexed");
                let plain_ids: Vec<String> = plain.items.iter().map(|i| i.id.clone()).collect();
                assert_eq!(
                    (total, &ids),
                    (plain.total, &plain_ids),
                    "seed {seed}: {query:?}"
                );
            }
        }
    }

    #[test]
    fn filtered_and_expiry_listings_are_left_to_the_plain_path() {
        let index = ListingIndex::default();
        let mut query = InstanceQuery {
            account: "a".into(),
            product: "p".into(),
            region: None,
            filters: vec![stratus_engine::ports::InstanceFilter::Zones(vec![
                "z".into()
            ])],
            order: InstanceOrder::CreatedDesc,
            offset: 0,
            limit: 20,
        };
        assert!(index.page(&query).is_none());
        query.filters.clear();
        query.order = InstanceOrder::ExpiresAsc;
        assert!(index.page(&query).is_none());
        query.order = InstanceOrder::CreatedDesc;
        assert_eq!(index.page(&query), Some((0, Vec::new())));
    }
}
