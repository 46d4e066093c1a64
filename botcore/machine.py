"""The finite-state machines: one `transitions.Machine` per dialog, built once when dialogs load.

The machine never holds a model. Per message the conversation's state goes into a small
`Run` object and one event is fired through `machine.events[...]`, so a conversation costs a
few hundred bytes and a step a few microseconds. Only declared moves exist
(`auto_transitions=False`):
  choice:<id>    from the state offering the choice to its target
  next           from a state that asks, to its `next`, once the answer is valid
  back           from a state with an explicit `back`
  enter:<state>  from the hidden `__entry__` state: how the engine jumps in from another
                 dialog, from a global intent or shortcut, or at the start of a conversation
State callbacks are Python functions from the ACTIONS allow-list below, never names from YAML
(transitions would resolve a string by getattr or by importing a dotted path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from transitions import Event, EventData, Machine, MachineError, Transition

from .spec import DialogBundle, FlowSpec, StateRef

ENTRY: Final = "__entry__"

# transitions writes about ten debug and info lines per event; loket logs its own moves (with
# masked conversation keys) and keeps the library's chatter out of the per-message path.
logging.getLogger("transitions").setLevel(logging.WARNING)


class Run:
    """The per-message model: the state name inside one dialog, and what entering states did."""

    __slots__ = ("effects", "slots", "state")

    def __init__(self, state: str, slots: dict[str, str]) -> None:
        self.state = state
        self.slots = slots
        self.effects: list[str] = []


def _effect(name: str) -> Callable[[EventData], None]:
    def record(event: EventData) -> None:
        cast(Run, event.model).effects.append(name)

    record.__name__ = f"effect_{name}"
    return record


def _clear_slots(event: EventData) -> None:
    cast(Run, event.model).slots.clear()


# The only callbacks a dialog can name. Effects that need I/O are recorded and carried out by
# the engine after the step; pure ones act on the Run directly.
ACTIONS: Final[Mapping[str, Callable[[EventData], None]]] = {
    "open_complaint": _effect("open_complaint"),
    "request_operator": _effect("request_operator"),
    "record_consent": _effect("record_consent"),
    "lookup_complaint": _effect("lookup_complaint"),
    "record_rating": _effect("record_rating"),
    "clear_slots": _clear_slots,
}


class _Transition(Transition):
    """transitions' Transition, minus its four log lines per event and calls to empty callback
    lists. The order is the library's: prepare, conditions, before, exit, change, enter, after.
    It halves the cost of an event, which is most of loket's per-message overhead."""

    def execute(self, event_data: EventData) -> bool:
        machine = event_data.machine
        if self.prepare:
            machine.callbacks(self.prepare, event_data)
        if self.conditions and not self._eval_conditions(event_data):
            return False
        before = machine.before_state_change + self.before
        if before:
            machine.callbacks(before, event_data)
        if self.dest is not None:
            self._change_state(event_data)
        after = self.after + machine.after_state_change
        if after:
            machine.callbacks(after, event_data)
        return True

    def _change_state(self, event_data: EventData) -> None:
        machine = event_data.machine
        assert self.dest is not None
        source = machine.states[self.source]
        if source.on_exit:
            source.exit(event_data)
        dest = machine.states[self.dest]
        # Machine.set_state for one model and plain string states.
        setattr(event_data.model, machine.model_attribute, dest.name)
        event_data.update(dest)
        if dest.on_enter:
            dest.enter(event_data)
        if dest.final and machine.on_final:
            machine.callbacks(machine.on_final, event_data)


class _Event(Event):
    """transitions' Event without the partial() hop through Machine._process: loket's
    machines are never queued, so the event is handled at once, as _process would."""

    def trigger(self, model: Any, *args: Any, **kwargs: Any) -> bool:
        data = EventData(None, self, self.machine, model, args=args, kwargs=kwargs)
        return bool(self._trigger(data))


class _Machine(Machine):
    transition_cls = _Transition
    event_cls = _Event


def build_machine(flow: FlowSpec) -> Machine:
    states: list[dict[str, Any]] = [{"name": ENTRY}]
    transitions: list[dict[str, Any]] = []
    for name, st in flow.states.items():
        states.append({"name": name, "on_enter": [ACTIONS[a] for a in st.actions]})
        transitions.append({"trigger": f"enter:{name}", "source": ENTRY, "dest": name})
        for c in st.choices:
            if c.target.dialog == flow.name:
                transitions.append(
                    {"trigger": f"choice:{c.id}", "source": name, "dest": c.target.state}
                )
        if st.next and st.next.dialog == flow.name:
            transitions.append({"trigger": "next", "source": name, "dest": st.next.state})
        if st.back and st.back.dialog == flow.name:
            transitions.append({"trigger": "back", "source": name, "dest": st.back.state})
    return _Machine(
        model=None,
        states=states,
        transitions=transitions,
        initial=ENTRY,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )


class Machines:
    """The machines of a bundle, and the one way to move a conversation between states."""

    def __init__(self, bundle: DialogBundle) -> None:
        self.machines: dict[str, Machine] = {n: build_machine(f) for n, f in bundle.flows.items()}

    def move(self, run: Run, current: StateRef | None, trigger: str, target: StateRef) -> StateRef:
        """Fire `trigger` from `current` if it is a declared move to `target`; otherwise jump.

        Returns the state the conversation is in afterwards (always `target`).
        """
        machine = self.machines[target.dialog]
        if current is not None and current.dialog == target.dialog and trigger:
            event = machine.events.get(trigger)
            if event is not None:
                run.state = current.state
                try:
                    if event.trigger(run) and run.state == target.state:
                        return target
                except MachineError:
                    pass  # not declared from this state: fall through to a jump
        run.state = ENTRY
        machine.events[f"enter:{target.state}"].trigger(run)
        return target
