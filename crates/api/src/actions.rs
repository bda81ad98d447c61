//! Typed actions: each product declares the actions it serves as one enum,
//! named exactly as the vendor names them on the wire, and its dispatch
//! matches that enum exhaustively (an action added here without a handler
//! does not compile). Error tables key on these, never on strings.

/// Declares an action enum whose variants are the wire names, with
/// `from_name` and `name`. Variants under `nested` hold the actions
/// of a group another enum declares (shared by several products); they are
/// recognised by that enum's names.
#[macro_export]
macro_rules! actions {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($variant:ident),* $(,)?
        }
        $(nested { $($group:ident($inner:ty)),* $(,)? })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($variant,)*
            $($($group($inner),)*)?
        }

        impl $name {
            /// The action a wire name names, if this product serves it.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($variant) => Some(Self::$variant),)*
                    _ => None$($(.or_else(|| <$inner>::from_name(name).map(Self::$group)))*)?,
                }
            }

            /// The wire name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)*
                    $($(Self::$group(inner) => inner.name(),)*)?
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// The power actions every vendor has, as the typed dispatch hands them to
/// one handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Start,
    Stop,
    Reboot,
}

#[cfg(test)]
mod tests {
    crate::actions! {
        enum Group { GroupOne, GroupTwo }
    }
    crate::actions! {
        enum Product { One, Two }
        nested { Grouped(Group) }
    }

    #[test]
    fn names_round_trip_through_groups() {
        assert_eq!(Product::from_name("One"), Some(Product::One));
        assert_eq!(
            Product::from_name("GroupTwo"),
            Some(Product::Grouped(Group::GroupTwo))
        );
        assert_eq!(Product::Grouped(Group::GroupOne).name(), "GroupOne");
        assert_eq!(Product::from_name("one"), None);
        assert_eq!(Product::from_name("Three"), None);
        for a in [
            Product::One,
            Product::Two,
            Product::Grouped(Group::GroupTwo),
        ] {
            assert_eq!(Product::from_name(a.name()), Some(a));
        }
    }
}
