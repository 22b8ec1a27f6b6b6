"""Exams: the question bank, papers, exams and attempts, competitions."""

from .attempts import Attempt, AttemptQuestion, Exam
from .bank import Category, KnowledgePoint, Question, QuestionBank, QuestionType, QuestionVersion
from .competitions import ChallengeRun, Competition
from .papers import Paper, PaperItem, PaperRule, describe_rule

__all__ = [
    "Attempt",
    "AttemptQuestion",
    "Category",
    "ChallengeRun",
    "Competition",
    "Exam",
    "KnowledgePoint",
    "Paper",
    "PaperItem",
    "PaperRule",
    "Question",
    "QuestionBank",
    "QuestionType",
    "QuestionVersion",
    "describe_rule",
]
