//! BitShares protocol: ids, assets, keys, fc::raw serialization, transactions, signing. No I/O.
