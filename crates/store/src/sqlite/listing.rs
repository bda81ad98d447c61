//! The listing index of the mirror, so that a page reads about a page of
//! records instead of filtering and sorting the account's whole fleet.
//!
//! Each live instance has a slot (a small number, reused once it is gone).
//! Per (account, product, region), the slots are kept newest first, and
//! those in the recycle bin once more, which Lighthouse's default order
//! lists first; a listing over every region merges the regions' orders.
//! Per (account, product), each indexed value (state, zone, image, plan,
//! charge type, VPC, subnet, tags, security groups, key pairs, region) has
//! a bitmap of the slots that hold it: a filter is the union of its
//! values' bitmaps, a query the intersection of its filters', and its
//! total that intersection's size, counted without visiting an instance
//! or building the intersection, and remembered until something it
//! depends on changes.
//! A dense match is paged by walking the order and testing each slot; a
//! sparse one by ordering only its matches. A walk remembers where its page
//! ended, so that a paginator's next page resumes there while nothing it
//! depends on has changed (the order, or the values of a field it filters
//! on): paging through a listing costs a page a page, not the offset.
//! What no bitmap answers (a name fragment, an address, a creation range,
//! the expiry orders) is decided by the plain filter-and-sort
//! ([`InstanceQuery::select`]), over the indexed filters' matches only. A
//! property test checks every path against the plain filter-and-sort over
//! random fleets, filters, orders and pages.

use foldhash::HashMap;
use roaring::RoaringBitmap;
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::sync::Arc;
use stratus_engine::clock::Timestamp;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::{ChargeType, Instance};
use stratus_engine::name::Name;
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery};

/// A live instance's number in the index.
type Slot = u32;

/// An instance's place newest first: creation time, then id, both
/// descending (the order [`InstanceQuery::compare`] defines), and its slot.
type Place = (Reverse<Timestamp>, Reverse<Arc<str>>, Slot);

/// The key of one region's orders.
type Scope = (Name, Name, Name);

/// One region's live instances, in order.
#[derive(Debug, Default)]
struct Orders {
    all: BTreeSet<Place>,
    /// Those in the recycle bin (also in `all`).
    isolated: BTreeSet<Place>,
}

/// A value a filter can ask for, as indexed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Posting {
    Region(Name),
    State(LifecycleState),
    Zone(Name),
    Image(Name),
    Plan(Name),
    Charge(ChargeType),
    Vpc(Name),
    Subnet(Name),
    TagKey(Name),
    TagValue(Name),
    Tag(Name, Name),
    SecurityGroup(Name),
    KeyPair(Name),
}

/// What a slot holds: enough to order it without the instance.
#[derive(Debug)]
struct Entry {
    created_at: Timestamp,
    id: Arc<str>,
    isolated: bool,
}

impl Entry {
    fn place(&self, slot: Slot) -> Place {
        (
            Reverse(self.created_at),
            Reverse(Arc::clone(&self.id)),
            slot,
        )
    }
}

/// The index; the mirror updates it with every committed instance change.
#[derive(Debug, Default)]
pub(crate) struct ListingIndex {
    orders: HashMap<Scope, Orders>,
    /// The regions each (account, product) has instances in.
    regions: HashMap<(Name, Name), BTreeSet<Name>>,
    /// Each (account, product)'s bitmaps, by value.
    postings: HashMap<(Name, Name), HashMap<Posting, RoaringBitmap>>,
    slots: Vec<Option<Entry>>,
    free: Vec<Slot>,
    /// Bumped per (account, product) whenever its order changes (an
    /// instance added, removed, or moved in or out of the recycle bin).
    generations: HashMap<(Name, Name), u64>,
    /// Bumped per (account, product) and field whenever an instance's
    /// values of that field change in place (a reboot's state): what a
    /// filtered walk over that field would keep may have changed.
    revisions: HashMap<(Name, Name), [u64; Field::ALL.len()]>,
    /// Where recent walks ended, so that the next page of a paginator
    /// resumes there instead of walking from the top: a deep offset costs
    /// a page, not the offset.
    cursors: Recent<Cursor>,
    /// The totals of recent filtered walks, each with the generation it
    /// was counted at: a listing asked again (a console refreshing, a
    /// paginator's every page) is not counted again while it holds.
    totals: Recent<(Walk, u64, usize)>,
    /// Pages that resumed from a cursor.
    #[cfg(test)]
    resumed: std::sync::atomic::AtomicUsize,
}

/// Cursors (and totals) kept at most: one per paginator walking a
/// listing at a time.
const RECENT: usize = 64;

/// The last [`RECENT`] things remembered, oldest dropped first; shared by
/// the readers, who remember what they found.
#[derive(Debug)]
struct Recent<T>(std::sync::Mutex<std::collections::VecDeque<T>>);

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self(std::sync::Mutex::new(std::collections::VecDeque::new()))
    }
}

impl<T: Clone> Recent<T> {
    /// The one `rank` ranks highest among those it accepts (`Some`).
    fn best<K: Ord>(&self, rank: impl Fn(&T) -> Option<K>) -> Option<T> {
        let items = self.0.lock().ok()?;
        items
            .iter()
            .filter_map(|t| rank(t).map(|k| (k, t)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, t)| t.clone())
    }

    /// Remembers `item` in place of any it `replaces`.
    fn remember(&self, item: T, replaces: impl Fn(&T) -> bool) {
        if let Ok(mut items) = self.0.lock() {
            items.retain(|t| !replaces(t));
            if items.len() == RECENT {
                items.pop_front();
            }
            items.push_back(item);
        }
    }
}

/// What a walk lists: its scope, its order and the indexed filters it
/// keeps to (each any of its values).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Walk {
    account: Name,
    product: Name,
    region: Option<Name>,
    isolated_first: bool,
    filters: Vec<Vec<Posting>>,
}

/// The place a walk stopped at.
#[derive(Debug, Clone)]
struct Cursor {
    walk: Walk,
    /// The walk's [`ListingIndex::generation`] when it stopped.
    generation: u64,
    /// Places of the listing before `next`.
    offset: usize,
    next: Place,
    /// Whether `next` is in the recycle-bin part of a recycle-bin-first walk.
    in_bin: bool,
}

/// How the mirror answers a listing.
#[derive(Debug, PartialEq)]
pub(crate) enum Listing {
    /// The page's ids, in order, and the total.
    Page { total: usize, ids: Vec<Arc<str>> },
    /// The only instances that can match: the plain filter-and-sort decides.
    Candidates(Vec<Arc<str>>),
}

fn scope(i: &Instance) -> Scope {
    (i.account.clone(), i.product.clone(), i.region.clone())
}

fn isolated(i: &Instance) -> bool {
    i.state == LifecycleState::Isolated
}

/// The instance fields the bitmaps index, each holding one or more values.
#[derive(Debug, Clone, Copy)]
enum Field {
    Region,
    State,
    Zone,
    Image,
    Plan,
    Charge,
    Vpc,
    Subnet,
    Tags,
    SecurityGroups,
    KeyPairs,
}

impl Field {
    const ALL: [Field; 11] = [
        Field::Region,
        Field::State,
        Field::Zone,
        Field::Image,
        Field::Plan,
        Field::Charge,
        Field::Vpc,
        Field::Subnet,
        Field::Tags,
        Field::SecurityGroups,
        Field::KeyPairs,
    ];

    /// The field a posting is a value of.
    fn of(p: &Posting) -> Field {
        match p {
            Posting::Region(_) => Field::Region,
            Posting::State(_) => Field::State,
            Posting::Zone(_) => Field::Zone,
            Posting::Image(_) => Field::Image,
            Posting::Plan(_) => Field::Plan,
            Posting::Charge(_) => Field::Charge,
            Posting::Vpc(_) => Field::Vpc,
            Posting::Subnet(_) => Field::Subnet,
            Posting::TagKey(_) | Posting::TagValue(_) | Posting::Tag(..) => Field::Tags,
            Posting::SecurityGroup(_) => Field::SecurityGroups,
            Posting::KeyPair(_) => Field::KeyPairs,
        }
    }

    /// Whether the field differs between two versions of an instance.
    fn differs(self, a: &Instance, b: &Instance) -> bool {
        match self {
            Field::Region => a.region != b.region,
            Field::State => a.state != b.state,
            Field::Zone => a.zone != b.zone,
            Field::Image => a.image_id != b.image_id,
            Field::Plan => a.plan_id != b.plan_id,
            Field::Charge => a.charge_type != b.charge_type,
            Field::Vpc => a.vpc_id != b.vpc_id,
            Field::Subnet => a.subnet_id != b.subnet_id,
            Field::Tags => a.tags != b.tags,
            Field::SecurityGroups => a.security_group_ids != b.security_group_ids,
            Field::KeyPairs => a.login.key_ids != b.login.key_ids,
        }
    }

    /// The values of this field in `i`, as indexed.
    fn postings(self, i: &Instance, out: &mut Vec<Posting>) {
        match self {
            Field::Region => out.push(Posting::Region(i.region.clone())),
            Field::State => out.push(Posting::State(i.state)),
            Field::Zone => out.push(Posting::Zone(i.zone.clone())),
            Field::Image => out.push(Posting::Image(i.image_id.clone())),
            Field::Plan => out.push(Posting::Plan(i.plan_id.clone())),
            Field::Charge => out.push(Posting::Charge(i.charge_type)),
            Field::Vpc => out.push(Posting::Vpc(i.vpc_id.clone())),
            Field::Subnet => out.push(Posting::Subnet(i.subnet_id.clone())),
            Field::Tags => {
                for t in &i.tags {
                    let (key, value) = (Name::new(&t.key), Name::new(&t.value));
                    out.push(Posting::TagKey(key.clone()));
                    out.push(Posting::TagValue(value.clone()));
                    out.push(Posting::Tag(key, value));
                }
            }
            Field::SecurityGroups => out.extend(
                i.security_group_ids
                    .iter()
                    .map(|g| Posting::SecurityGroup(g.clone())),
            ),
            Field::KeyPairs => out.extend(
                i.login
                    .key_ids
                    .iter()
                    .map(|k| Posting::KeyPair(Name::new(k))),
            ),
        }
    }
}

/// The values of `i` the bitmaps index, of the fields given.
fn postings(i: &Instance, fields: impl IntoIterator<Item = Field>) -> Vec<Posting> {
    let mut out = Vec::new();
    for f in fields {
        f.postings(i, &mut out);
    }
    out
}

/// The bitmap values `filter` asks for (any of them), if it is indexed.
fn wanted(filter: &InstanceFilter) -> Option<Vec<Posting>> {
    use InstanceFilter as F;
    let names = |v: &[String], f: fn(Name) -> Posting| -> Vec<Posting> {
        v.iter().map(|x| f(Name::new(x))).collect()
    };
    Some(match filter {
        F::States(v) => v.iter().map(|s| Posting::State(*s)).collect(),
        F::Zones(v) => names(v, Posting::Zone),
        F::Images(v) => names(v, Posting::Image),
        F::Plans(v) => names(v, Posting::Plan),
        F::ChargeTypes(v) => v.iter().map(|c| Posting::Charge(*c)).collect(),
        F::VpcIds(v) => names(v, Posting::Vpc),
        F::SubnetIds(v) => names(v, Posting::Subnet),
        F::TagKeys(v) => names(v, Posting::TagKey),
        F::TagValues(v) => names(v, Posting::TagValue),
        F::Tag { key, values } => values
            .iter()
            .map(|x| Posting::Tag(Name::new(key), Name::new(x)))
            .collect(),
        F::SecurityGroups(v) => names(v, Posting::SecurityGroup),
        F::KeyPairs(v) => names(v, Posting::KeyPair),
        F::Ids(_)
        | F::NameContains(_)
        | F::PrivateIps(_)
        | F::PublicIps(_)
        | F::Ips(_)
        | F::Uuids(_)
        | F::Attribute { .. }
        | F::CreatedFrom(_)
        | F::CreatedUntil(_) => return None,
    })
}

impl ListingIndex {
    /// Records that `old` (if any) became `new` (`None`: gone).
    pub fn update(&mut self, old: Option<&Instance>, new: Option<&Instance>) {
        let new = new.filter(|i| i.state != LifecycleState::Terminated);
        let slot = old.and_then(|o| self.slot_of(o));
        if let (Some(old), Some(new), Some(slot)) = (old, new, slot) {
            if scope(old) == scope(new)
                && old.created_at == new.created_at
                && old.id == new.id
                && isolated(old) == isolated(new)
            {
                // Most changes (a reboot's end, a new password) move
                // nothing, or one field (a state).
                self.move_postings(old, new, slot);
                return;
            }
        }
        if let (Some(old), Some(slot)) = (old, slot) {
            self.remove(old, slot);
        }
        if let Some(new) = new {
            self.insert(new);
        }
    }

    /// The slot `i` holds, found through its place in its region's order.
    fn slot_of(&self, i: &Instance) -> Option<Slot> {
        let orders = self.orders.get(&scope(i))?;
        let id: Arc<str> = Arc::from(i.id.as_str());
        let from = (Reverse(i.created_at), Reverse(Arc::clone(&id)), Slot::MIN);
        let to = (Reverse(i.created_at), Reverse(id), Slot::MAX);
        orders.all.range(from..=to).next().map(|p| p.2)
    }

    fn reordered(&mut self, i: &Instance) {
        *self
            .generations
            .entry((i.account.clone(), i.product.clone()))
            .or_default() += 1;
    }

    fn insert(&mut self, i: &Instance) {
        self.reordered(i);
        let entry = Entry {
            created_at: i.created_at,
            id: Arc::from(i.id.as_str()),
            isolated: isolated(i),
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                // Slots are reused, so there are never more than live instances.
                Slot::try_from(self.slots.len() - 1).unwrap_or(Slot::MAX)
            }
        };
        let orders = self.orders.entry(scope(i)).or_default();
        orders.all.insert(entry.place(slot));
        if entry.isolated {
            orders.isolated.insert(entry.place(slot));
        }
        self.slots[slot as usize] = Some(entry);
        self.regions
            .entry((i.account.clone(), i.product.clone()))
            .or_default()
            .insert(i.region.clone());
        let bitmaps = self
            .postings
            .entry((i.account.clone(), i.product.clone()))
            .or_default();
        for p in postings(i, Field::ALL) {
            bitmaps.entry(p).or_default().insert(slot);
        }
    }

    fn remove(&mut self, i: &Instance, slot: Slot) {
        self.reordered(i);
        let key = scope(i);
        if let Some(orders) = self.orders.get_mut(&key) {
            if let Some(entry) = self.slots[slot as usize].take() {
                let place = entry.place(slot);
                orders.all.remove(&place);
                orders.isolated.remove(&place);
            }
            if orders.all.is_empty() {
                self.orders.remove(&key);
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
        self.unpost(i, &postings(i, Field::ALL), slot);
        self.free.push(slot);
    }

    /// Moves `slot` from the bitmaps of `old`'s values to those of `new`'s,
    /// for the fields that changed.
    fn move_postings(&mut self, old: &Instance, new: &Instance, slot: Slot) {
        let changed: Vec<Field> = Field::ALL
            .into_iter()
            .filter(|f| f.differs(old, new))
            .collect();
        if changed.is_empty() {
            return;
        }
        let revisions = self
            .revisions
            .entry((new.account.clone(), new.product.clone()))
            .or_default();
        for &f in &changed {
            revisions[f as usize] += 1;
        }
        let (before, after) = (postings(old, changed.clone()), postings(new, changed));
        let gone: Vec<Posting> = before
            .iter()
            .filter(|p| !after.contains(p))
            .cloned()
            .collect();
        self.unpost(old, &gone, slot);
        let bitmaps = self
            .postings
            .entry((new.account.clone(), new.product.clone()))
            .or_default();
        for p in after.into_iter().filter(|p| !before.contains(p)) {
            bitmaps.entry(p).or_default().insert(slot);
        }
    }

    fn unpost(&mut self, i: &Instance, values: &[Posting], slot: Slot) {
        let pair = (i.account.clone(), i.product.clone());
        let Some(bitmaps) = self.postings.get_mut(&pair) else {
            return;
        };
        for p in values {
            if let Some(bits) = bitmaps.get_mut(p) {
                bits.remove(slot);
                if bits.is_empty() {
                    bitmaps.remove(p);
                }
            }
        }
        if bitmaps.is_empty() {
            self.postings.remove(&pair);
        }
    }

    /// How to answer `query` (a listing by ids is looked up directly, by
    /// the caller).
    pub fn answer(&self, query: &InstanceQuery) -> Listing {
        let account = Name::new(&query.account);
        let product = Name::new(&query.product);
        let orders: Vec<&Orders> = match &query.region {
            Some(region) => self
                .orders
                .get(&(account.clone(), product.clone(), Name::new(region)))
                .into_iter()
                .collect(),
            None => self
                .regions
                .get(&(account.clone(), product.clone()))
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    self.orders
                        .get(&(account.clone(), product.clone(), r.clone()))
                })
                .collect(),
        };
        if orders.is_empty() {
            return Listing::Page {
                total: 0,
                ids: Vec::new(),
            };
        }
        let isolated_first = match query.order {
            InstanceOrder::CreatedDesc => Some(false),
            InstanceOrder::IsolatedFirstThenCreatedDesc => Some(true),
            InstanceOrder::ExpiresAsc | InstanceOrder::ExpiresDesc => None,
        };
        let (indexed, rest): (Vec<_>, Vec<_>) =
            query.filters.iter().map(wanted).partition(Option::is_some);
        let indexed: Vec<Vec<Posting>> = indexed.into_iter().flatten().collect();
        let matches = if indexed.is_empty() {
            None
        } else {
            let bitmaps = self.postings.get(&(account.clone(), product.clone()));
            let mut sets: Vec<Cow<RoaringBitmap>> = indexed
                .iter()
                .map(|values| union(bitmaps, values))
                .collect();
            // The walk's orders are the region's already; its bitmap only
            // matters to the count, and only where the pair spans others.
            let pair = (account.clone(), product.clone());
            let elsewhere = self.regions.get(&pair).is_some_and(|r| r.len() > 1);
            if let Some(region) = query.region.as_ref().filter(|_| elsewhere) {
                sets.push(union(bitmaps, &[Posting::Region(Name::new(region))]));
            }
            Some(Matches::new(sets))
        };
        let plain = rest.is_empty();
        match (matches, isolated_first) {
            (matches, Some(isolated_first)) if plain => {
                let walk = Walk {
                    account,
                    product,
                    region: query.region.as_deref().map(Name::new),
                    isolated_first,
                    filters: indexed,
                };
                let generation = self.generation(&walk);
                let Some(matches) = matches else {
                    return self.walk(&orders, walk, generation, None, query);
                };
                let total = self.total(&walk, generation, &matches);
                let size: usize = orders.iter().map(|o| o.all.len()).sum();
                let resumed = self
                    .cursor(&walk, generation, query.offset)
                    .map_or(0, |c| c.offset);
                let wanted = query.offset.saturating_add(query.limit) - resumed;
                // Walking the order visits about `wanted * size / total`
                // places; ordering the matches costs about `total`.
                if wanted.saturating_mul(size) / total.max(1) <= total.max(64) {
                    self.walk(&orders, walk, generation, Some((&matches, total)), query)
                } else {
                    self.sort(&matches, isolated_first, query)
                }
            }
            (Some(matches), _) => Listing::Candidates(
                matches
                    .slots()
                    .filter_map(|s| self.slots[s as usize].as_ref())
                    .map(|e| Arc::clone(&e.id))
                    .collect(),
            ),
            (None, _) => Listing::Candidates(
                orders
                    .iter()
                    .flat_map(|o| o.all.iter())
                    .map(|(_, Reverse(id), _)| Arc::clone(id))
                    .collect(),
            ),
        }
    }

    /// A page read by walking the regions' orders (the recycle bin first
    /// if asked), keeping the slots in `only` (the matches of the walk's
    /// filters, and how many they are) if given. A walk resumes where an
    /// earlier page of the same listing ended, if nothing has changed it
    /// since.
    fn walk(
        &self,
        orders: &[&Orders],
        walk: Walk,
        generation: u64,
        only: Option<(&Matches, usize)>,
        query: &InstanceQuery,
    ) -> Listing {
        let kept = |p: &(bool, &Place)| only.is_none_or(|(m, _)| m.contains(p.1 .2));
        let total = match only {
            Some((_, total)) => total,
            None => orders.iter().map(|o| o.all.len()).sum(),
        };
        let isolated_first = walk.isolated_first;
        let resumed = self.cursor(&walk, generation, query.offset);
        #[cfg(test)]
        if resumed.is_some() {
            self.resumed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let (before, from) = match &resumed {
            Some(c) => (c.offset, Some((c.in_bin, &c.next))),
            None => (0, None),
        };
        let mut places = self.places(orders, isolated_first, from).filter(kept);
        let ids: Vec<Arc<str>> = places
            .by_ref()
            .skip(query.offset - before)
            .take(query.limit)
            .map(|(_, (_, Reverse(id), _))| Arc::clone(id))
            .collect();
        // (A page of none skipped nothing: its next place is not at its offset.)
        if query.limit > 0 && ids.len() == query.limit {
            if let Some((in_bin, next)) = places.next() {
                self.remember(Cursor {
                    walk,
                    generation,
                    offset: query.offset + ids.len(),
                    next: next.clone(),
                    in_bin,
                });
            }
        }
        Listing::Page { total, ids }
    }

    /// The places of a walk in its order, each with whether it is in the
    /// recycle-bin part, from `from` on (inclusive) if given.
    fn places<'a>(
        &'a self,
        orders: &[&'a Orders],
        isolated_first: bool,
        from: Option<(bool, &Place)>,
    ) -> Box<dyn Iterator<Item = (bool, &'a Place)> + 'a> {
        let start = from.map(|(_, p)| p.clone());
        let from_start =
            |set: &'a BTreeSet<Place>| -> std::collections::btree_set::Range<'a, Place> {
                match &start {
                    Some(p) => set.range(p.clone()..),
                    None => set.range::<Place, _>(..),
                }
            };
        let everything = |set: &'a BTreeSet<Place>| set.range::<Place, _>(..);
        if !isolated_first {
            return Box::new(
                merged(orders.iter().map(|o| from_start(&o.all)).collect()).map(|p| (false, p)),
            );
        }
        let in_bin = from.is_none_or(|(bin, _)| bin);
        let bin: Box<dyn Iterator<Item = &'a Place>> = if in_bin {
            Box::new(merged(
                orders.iter().map(|o| from_start(&o.isolated)).collect(),
            ))
        } else {
            Box::new(std::iter::empty())
        };
        let rest = if in_bin {
            merged(orders.iter().map(|o| everything(&o.all)).collect())
        } else {
            merged(orders.iter().map(|o| from_start(&o.all)).collect())
        };
        let rest = rest.filter(|p| {
            !self.slots[p.2 as usize]
                .as_ref()
                .is_some_and(|e| e.isolated)
        });
        Box::new(bin.map(|p| (true, p)).chain(rest.map(|p| (false, p))))
    }

    /// What a cursor of `walk` must have been taken at to hold now: the
    /// order's generation plus the revisions of the fields its filters ask
    /// for. Each only grows, so an equal sum means none of them moved.
    fn generation(&self, walk: &Walk) -> u64 {
        let pair = (walk.account.clone(), walk.product.clone());
        let order = self.generations.get(&pair).copied().unwrap_or_default();
        let revisions = self.revisions.get(&pair);
        let mut fields: Vec<Field> = walk.filters.iter().flatten().map(Field::of).collect();
        fields.sort_unstable_by_key(|&f| f as usize);
        fields.dedup_by_key(|f| *f as usize);
        fields
            .into_iter()
            .fold(order, |sum, f| sum + revisions.map_or(0, |r| r[f as usize]))
    }

    /// How many slots `matches` (those of `walk`'s filters) holds, as
    /// counted at `generation` or now.
    fn total(&self, walk: &Walk, generation: u64, matches: &Matches) -> usize {
        let known = self
            .totals
            .best(|(w, g, _)| (w == walk && *g == generation).then_some(()));
        if let Some((_, _, total)) = known {
            return total;
        }
        let total = matches.count();
        self.totals
            .remember((walk.clone(), generation, total), |(w, _, _)| w == walk);
        total
    }

    /// A cursor of `walk` taken at `generation`, no further than `offset`.
    fn cursor(&self, walk: &Walk, generation: u64, offset: usize) -> Option<Cursor> {
        self.cursors.best(|c| {
            (&c.walk == walk && c.generation == generation && c.offset <= offset)
                .then_some(c.offset)
        })
    }

    fn remember(&self, cursor: Cursor) {
        let (walk, offset) = (cursor.walk.clone(), cursor.offset);
        self.cursors
            .remember(cursor, |c| c.walk == walk && c.offset == offset);
    }

    /// A page read by ordering only the matches.
    fn sort(&self, matches: &Matches, isolated_first: bool, query: &InstanceQuery) -> Listing {
        let mut keyed: Vec<(bool, Place)> = matches
            .slots()
            .filter_map(|s| {
                let e = self.slots[s as usize].as_ref()?;
                Some((isolated_first && !e.isolated, e.place(s)))
            })
            .collect();
        let total = keyed.len();
        let end = query.offset.saturating_add(query.limit).min(total);
        if end > 0 && end < total {
            keyed.select_nth_unstable(end - 1);
            keyed.truncate(end);
        }
        keyed.sort_unstable();
        let ids = keyed
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(|(_, (_, Reverse(id), _))| id)
            .collect();
        Listing::Page { total, ids }
    }
}

/// The slots holding any of `values`: the one value's bitmap itself, or
/// the union of several.
fn union<'a>(
    bitmaps: Option<&'a HashMap<Posting, RoaringBitmap>>,
    values: &[Posting],
) -> Cow<'a, RoaringBitmap> {
    let mut found = values.iter().filter_map(|v| bitmaps?.get(v));
    match (found.next(), found.next()) {
        (None, _) => Cow::Owned(RoaringBitmap::new()),
        (Some(one), None) => Cow::Borrowed(one),
        (Some(a), Some(b)) => Cow::Owned(found.fold(a | b, |acc, c| acc | c)),
    }
}

/// The slots that match every indexed filter of a query: the filters'
/// bitmaps, tested slot by slot and counted without building their
/// intersection (at a million instances an intersection copies a few
/// hundred kilobytes a request; a walk tests about a page of slots).
struct Matches<'a> {
    /// Smallest first, so that a slot most likely to fail is tested first.
    sets: Vec<Cow<'a, RoaringBitmap>>,
}

impl<'a> Matches<'a> {
    fn new(mut sets: Vec<Cow<'a, RoaringBitmap>>) -> Self {
        sets.sort_by_key(|b| b.len());
        Self { sets }
    }

    /// How many slots match.
    fn count(&self) -> usize {
        let len = match self.sets.as_slice() {
            [] => 0,
            [one] => one.len(),
            [a, b] => a.intersection_len(b),
            [first, middle @ .., last] => middle
                .iter()
                .fold(first.as_ref().clone(), |acc, c| acc & c.as_ref())
                .intersection_len(last),
        };
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    fn contains(&self, slot: Slot) -> bool {
        self.sets.iter().all(|b| b.contains(slot))
    }

    /// The matching slots, ascending.
    fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        let (first, rest) = match self.sets.split_first() {
            Some((first, rest)) => (Some(first), rest),
            None => (None, &[][..]),
        };
        first
            .into_iter()
            .flat_map(|b| b.iter())
            .filter(move |&s| rest.iter().all(|b| b.contains(s)))
    }
}

/// The items of several ascending iterators, in ascending order (a listing
/// spans few regions, so picking the least head each step is enough).
fn merged<'a, I>(iters: Vec<I>) -> impl Iterator<Item = &'a Place>
where
    I: Iterator<Item = &'a Place>,
{
    let mut heads: Vec<std::iter::Peekable<I>> =
        iters.into_iter().map(Iterator::peekable).collect();
    std::iter::from_fn(move || {
        let mut best: Option<(usize, &Place)> = None;
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
    use stratus_engine::model::Tag;

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

        /// One to three of `of`, as a filter's values.
        fn some(&mut self, of: &[&str]) -> Vec<String> {
            (0..=self.below(3))
                .map(|_| self.pick(of).to_string())
                .collect()
        }
    }

    const ACCOUNTS: [&str; 2] = ["alice", "bob"];
    const PRODUCTS: [&str; 2] = ["lighthouse", "zec"];
    const REGIONS: [&str; 3] = ["r1", "r2", "r3"];
    const ZONES: [&str; 3] = ["z1", "z2", "z3"];
    const WORDS: [&str; 4] = ["a", "b", "c", "d"];
    const STATES: [LifecycleState; 5] = [
        LifecycleState::Running,
        LifecycleState::Stopped,
        LifecycleState::Isolated,
        LifecycleState::Pending,
        LifecycleState::Terminated,
    ];
    const CHARGES: [ChargeType; 2] = [ChargeType::Postpaid, ChargeType::Prepaid];

    fn filter(rng: &mut Rng) -> InstanceFilter {
        use InstanceFilter as F;
        match rng.below(14) {
            0 => F::States(
                (0..=rng.below(2))
                    .map(|_| STATES[rng.below(4) as usize])
                    .collect(),
            ),
            1 => F::Zones(rng.some(&ZONES)),
            2 => F::Images(rng.some(&WORDS)),
            3 => F::Plans(rng.some(&WORDS)),
            4 => F::ChargeTypes(vec![CHARGES[rng.below(2) as usize]]),
            5 => F::VpcIds(rng.some(&WORDS)),
            6 => F::SubnetIds(rng.some(&WORDS)),
            7 => F::TagKeys(rng.some(&WORDS)),
            8 => F::TagValues(rng.some(&WORDS)),
            9 => F::Tag {
                key: rng.pick(&WORDS).into(),
                values: rng.some(&WORDS),
            },
            10 => F::SecurityGroups(rng.some(&WORDS)),
            11 => F::KeyPairs(rng.some(&WORDS)),
            // Filters no bitmap answers.
            12 => F::NameContains(rng.some(&WORDS)),
            _ => F::CreatedFrom(Timestamp(rng.below(8) as i64 * 1000)),
        }
    }

    /// A random change of the indexed values of `i`.
    fn vary(rng: &mut Rng, i: &mut Instance) {
        match rng.below(8) {
            0 => i.zone = Name::new(rng.pick(&ZONES)),
            1 => i.image_id = Name::new(rng.pick(&WORDS)),
            2 => i.plan_id = Name::new(rng.pick(&WORDS)),
            3 => i.charge_type = CHARGES[rng.below(2) as usize],
            4 => {
                i.vpc_id = rng.pick(&WORDS).into();
                i.subnet_id = rng.pick(&WORDS).into();
            }
            5 => {
                i.tags = (0..rng.below(3))
                    .map(|_| Tag {
                        key: rng.pick(&WORDS).into(),
                        value: rng.pick(&WORDS).into(),
                    })
                    .collect()
            }
            6 => i.security_group_ids = rng.some(&WORDS).iter().map(|w| Name::new(w)).collect(),
            _ => {
                i.login.key_ids = rng.some(&WORDS);
                i.name = rng.pick(&WORDS).into();
            }
        }
    }

    /// The page the index gives, resolved as the store resolves it.
    fn indexed(
        index: &ListingIndex,
        live: &BTreeMap<(String, String), Instance>,
        query: &InstanceQuery,
    ) -> (usize, Vec<String>) {
        let find = |id: &Arc<str>| live.get(&(query.account.clone(), id.to_string()));
        match index.answer(query) {
            Listing::Page { total, ids } => {
                let found: Vec<String> = ids
                    .iter()
                    .map(|id| find(id).expect("a paged id is live").id.clone())
                    .collect();
                (total, found)
            }
            Listing::Candidates(ids) => {
                let page = query.select(ids.iter().filter_map(find));
                (page.total, page.items.into_iter().map(|i| i.id).collect())
            }
        }
    }

    /// Asserts that the index answers `query` as the plain filter-and-sort
    /// does; returns the listing's total.
    fn assert_indexed_is_plain(
        index: &ListingIndex,
        live: &BTreeMap<(String, String), Instance>,
        query: &InstanceQuery,
        seed: u64,
    ) -> usize {
        let plain = query.select(live.values());
        let plain_ids: Vec<String> = plain.items.iter().map(|i| i.id.clone()).collect();
        assert_eq!(
            indexed(index, live, query),
            (plain.total, plain_ids),
            "seed {seed}: {query:?}"
        );
        plain.total
    }

    #[test]
    fn indexed_listings_equal_the_plain_filter_and_sort() {
        for seed in 1..=60u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut index = ListingIndex::default();
            // The live fleet as the mirror holds it, by (account, id).
            let mut live: BTreeMap<(String, String), Instance> = BTreeMap::new();
            for step in 0..rng.below(200) {
                // New instances, and changes (state, values, recycle bin, end) to old ones.
                let id = format!("i-{:03}", rng.below(60));
                let account = rng.pick(&ACCOUNTS).to_string();
                let old = live.get(&(account.clone(), id.clone())).cloned();
                let mut new = old.clone().unwrap_or_else(|| {
                    let mut i =
                        Instance::example(&id, &account, rng.pick(&PRODUCTS), rng.pick(&REGIONS));
                    // Few distinct times, so ids break many ties.
                    i.created_at = Timestamp(rng.below(8) as i64 * 1000);
                    i.expires_at = Some(Timestamp(rng.below(4) as i64));
                    i
                });
                if rng.below(2) == 0 {
                    new.state = STATES[rng.below(STATES.len() as u64) as usize];
                } else {
                    vary(&mut rng, &mut new);
                }
                new.version = step;
                index.update(old.as_ref(), Some(&new));
                if new.state == LifecycleState::Terminated {
                    live.remove(&(account, id));
                } else {
                    live.insert((account, id), new);
                }
            }
            for _ in 0..80 {
                let query = InstanceQuery {
                    account: rng.pick(&ACCOUNTS).into(),
                    product: rng.pick(&PRODUCTS).into(),
                    region: (rng.below(3) > 0).then(|| rng.pick(&REGIONS).to_string()),
                    filters: (0..rng.below(3)).map(|_| filter(&mut rng)).collect(),
                    order: match rng.below(5) {
                        0 | 1 => InstanceOrder::CreatedDesc,
                        2 | 3 => InstanceOrder::IsolatedFirstThenCreatedDesc,
                        _ if rng.below(2) == 0 => InstanceOrder::ExpiresAsc,
                        _ => InstanceOrder::ExpiresDesc,
                    },
                    offset: rng.below(30) as usize,
                    limit: 1 + rng.below(25) as usize,
                };
                assert_indexed_is_plain(&index, &live, &query, seed);
            }
        }
    }

    /// Paginators walking a listing page after page, unfiltered or kept to
    /// a zone or a state, with changes between pages (states that keep the
    /// order, instances that change it): each page equals the plain
    /// filter-and-sort, and later pages resume where the last one ended
    /// instead of walking from the top (a filtered walk also through state
    /// changes, unless it filters on the state).
    #[test]
    fn paginators_resume_where_their_last_page_ended() {
        // Pages resumed, by the filter the paginator used.
        let mut resumed_pages = [0; 3];
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut index = ListingIndex::default();
            let mut live: BTreeMap<(String, String), Instance> = BTreeMap::new();
            let mut next_id = 0;
            let mut change = |rng: &mut Rng,
                              index: &mut ListingIndex,
                              live: &mut BTreeMap<(String, String), Instance>,
                              reorder: bool| {
                let picked = (!reorder && !live.is_empty())
                    .then(|| {
                        live.keys()
                            .nth(rng.below(live.len() as u64) as usize)
                            .cloned()
                    })
                    .flatten();
                let (old, mut new) = match picked {
                    Some(key) => {
                        let old = live[&key].clone();
                        let mut new = old.clone();
                        // A state that keeps it where it is in the order.
                        new.state = if isolated(&old) {
                            LifecycleState::Isolated
                        } else {
                            [LifecycleState::Running, LifecycleState::Stopped]
                                [rng.below(2) as usize]
                        };
                        (Some(old), new)
                    }
                    None => {
                        next_id += 1;
                        let mut i = Instance::example(
                            &format!("i-{next_id:04}"),
                            "alice",
                            "lighthouse",
                            rng.pick(&REGIONS),
                        );
                        i.created_at = Timestamp(rng.below(40) as i64 * 1000);
                        if rng.below(4) == 0 {
                            i.state = LifecycleState::Isolated;
                        }
                        i.zone = Name::new(rng.pick(&ZONES[..2]));
                        (None, i)
                    }
                };
                new.version += 1;
                index.update(old.as_ref(), Some(&new));
                live.insert(("alice".to_string(), new.id.clone()), new);
            };
            for _ in 0..60 + rng.below(120) {
                change(&mut rng, &mut index, &mut live, true);
            }
            let orders = [
                InstanceOrder::CreatedDesc,
                InstanceOrder::IsolatedFirstThenCreatedDesc,
            ];
            let filters = [
                Vec::new(),
                vec![InstanceFilter::Zones(vec!["z1".into()])],
                vec![InstanceFilter::States(vec![
                    LifecycleState::Running,
                    LifecycleState::Isolated,
                ])],
            ];
            for (kind, filters) in filters.iter().enumerate() {
                for order in orders {
                    let resumed_before = index.resumed.load(std::sync::atomic::Ordering::Relaxed);
                    let limit = 1 + rng.below(20) as usize;
                    let region = (rng.below(2) == 0).then(|| rng.pick(&REGIONS).to_string());
                    let mut offset = 0;
                    loop {
                        let query = InstanceQuery {
                            account: "alice".into(),
                            product: "lighthouse".into(),
                            region: region.clone(),
                            filters: filters.clone(),
                            order,
                            offset,
                            limit,
                        };
                        let total = assert_indexed_is_plain(&index, &live, &query, seed);
                        offset += limit;
                        if offset >= total {
                            break;
                        }
                        // Mostly nothing or a change that keeps the order,
                        // sometimes one that reorders (the cursor is then not
                        // used).
                        match rng.below(5) {
                            0 => change(&mut rng, &mut index, &mut live, true),
                            1 | 2 => change(&mut rng, &mut index, &mut live, false),
                            _ => {}
                        }
                    }
                    resumed_pages[kind] +=
                        index.resumed.load(std::sync::atomic::Ordering::Relaxed) - resumed_before;
                }
            }
        }
        // Unfiltered and zone walks resume through state changes; state
        // walks only across pages with no change between them.
        assert!(
            resumed_pages.iter().all(|&n| n > 100),
            "pages resumed from a cursor, unfiltered, by zone, by state: {resumed_pages:?}"
        );
    }

    /// A page of none (a caller wanting only the total) leaves no cursor
    /// behind that a later page at its offset would resume from.
    #[test]
    fn a_page_of_none_leaves_no_misplaced_cursor() {
        let mut index = ListingIndex::default();
        let mut live = BTreeMap::new();
        for n in 0..30 {
            let mut i = Instance::example(&format!("i-{n:03}"), "alice", "lighthouse", "r1");
            i.created_at = Timestamp(n * 1000);
            i.zone = Name::new(ZONES[(n % 2) as usize]);
            index.update(None, Some(&i));
            live.insert(("alice".to_string(), i.id.clone()), i);
        }
        for filters in [Vec::new(), vec![InstanceFilter::Zones(vec!["z1".into()])]] {
            for limit in [0, 5] {
                let query = InstanceQuery {
                    account: "alice".into(),
                    product: "lighthouse".into(),
                    region: None,
                    filters: filters.clone(),
                    order: InstanceOrder::CreatedDesc,
                    offset: 10,
                    limit,
                };
                assert_indexed_is_plain(&index, &live, &query, 0);
            }
        }
    }

    /// A fleet where a filter matches all, many or a few: each way of
    /// paging (walking the order, ordering the matches) is taken.
    #[test]
    fn dense_and_sparse_matches_page_alike() {
        let mut index = ListingIndex::default();
        let mut live = BTreeMap::new();
        for n in 0..2_000u32 {
            let mut i = Instance::example(&format!("i-{n:05}"), "a", "p", "r");
            i.created_at = Timestamp(i64::from(n / 3));
            i.zone = Name::new(if n % 500 == 0 { "rare" } else { "common" });
            if n % 1_000 == 0 || n % 7 == 0 {
                i.state = LifecycleState::Isolated;
            }
            index.update(None, Some(&i));
            live.insert(("a".to_string(), i.id.clone()), i);
        }
        let cases = [("common", 0), ("common", 1_900), ("rare", 0), ("rare", 2)];
        let orders = [
            InstanceOrder::CreatedDesc,
            InstanceOrder::IsolatedFirstThenCreatedDesc,
        ];
        for ((zone, offset), order) in cases.into_iter().flat_map(|c| orders.map(|o| (c, o))) {
            let query = InstanceQuery {
                account: "a".into(),
                product: "p".into(),
                region: None,
                filters: vec![InstanceFilter::Zones(vec![zone.into()])],
                order,
                offset,
                limit: 20,
            };
            let plain = query.select(live.values());
            let plain_ids: Vec<String> = plain.items.iter().map(|i| i.id.clone()).collect();
            assert_eq!(indexed(&index, &live, &query), (plain.total, plain_ids));
            assert!(matches!(index.answer(&query), Listing::Page { .. }));
        }
    }

    #[test]
    fn slots_are_reused_and_bitmaps_emptied() {
        let mut index = ListingIndex::default();
        let mut i = Instance::example("i-1", "a", "p", "r");
        index.update(None, Some(&i));
        let old = i.clone();
        i.state = LifecycleState::Terminated;
        index.update(Some(&old), Some(&i));
        assert!(index.postings.is_empty() && index.orders.is_empty() && index.regions.is_empty());
        let j = Instance::example("i-2", "a", "p", "r");
        index.update(None, Some(&j));
        assert_eq!(index.slots.len(), 1, "the freed slot is taken again");
    }
}
