"""The chat channel: websocket frames in, engine, frames out."""
