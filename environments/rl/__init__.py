"""Environments for RL and for outside agent stacks: a gym-style episode API (and, on it, the MCP server)."""

from envscale.environments.rl.episode_env import EpisodeError, StepResult, TaskEnv, TaskStart, Verdict

__all__ = ["EpisodeError", "StepResult", "TaskEnv", "TaskStart", "Verdict"]
