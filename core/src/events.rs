//! Live events sent to consoles over the WebSocket (being written).
