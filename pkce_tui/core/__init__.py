"""The UI-free core: every step of the flow as plain values and one place that sends.

Nothing here imports textual; the CLI and the TUI are two front ends over this package.
"""
