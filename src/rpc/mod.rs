//! Graphene websocket / HTTP JSON-RPC client.
