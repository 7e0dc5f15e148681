"""Forms of the academy's authoring pages; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.academy import authoring
from cluetrain.academy.models import Audience
from cluetrain.academy.models.courses import MAX_MINUTES, MIN_MINUTES, ExerciseKind
from cluetrain.academy.quizzes import MAX_CHOICE, MAX_CHOICES, MAX_EXPLANATION, MAX_PROMPT
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role


class CourseForm(forms.Form):
    title = forms.CharField(max_length=authoring.MAX_TITLE)
    summary = forms.CharField(
        max_length=authoring.MAX_SUMMARY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown. What a learner can do after this course.",
    )
    audience = forms.ChoiceField(choices=Audience.choices)
    is_module = forms.BooleanField(
        required=False, initial=True, label="Counts towards autonomy (a module)"
    )
    pass_mark = forms.IntegerField(
        min_value=0, max_value=100, initial=80, label="Quiz pass mark (%)"
    )


class LessonForm(forms.Form):
    title = forms.CharField(max_length=authoring.MAX_TITLE)
    minutes = forms.IntegerField(
        min_value=MIN_MINUTES, max_value=MAX_MINUTES, initial=7, help_text="5 to 10 is best."
    )
    body = forms.CharField(
        label="Lesson text",
        max_length=authoring.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 16, "class": "markdown-source"}),
        help_text="Markdown: ## headings, **bold**, - lists, [links](https://…).",
    )
    examples = forms.CharField(
        max_length=authoring.MAX_EXAMPLES,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    exercise = forms.CharField(
        max_length=authoring.MAX_EXERCISE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a guideline exercise, a line “Mention: word, word” names words the "
        "draft must use.",
    )
    exercise_kind = forms.ChoiceField(choices=ExerciseKind.choices, label="Exercise")
    note = forms.CharField(
        max_length=authoring.MAX_NOTE, required=False, label="What changed (for the history)"
    )

    def text(self) -> authoring.LessonText:
        data = self.cleaned_data
        return authoring.LessonText(
            title=data["title"],
            body=data["body"],
            minutes=data["minutes"],
            examples=data["examples"],
            exercise=data["exercise"],
        )


class QuestionForm(forms.Form):
    """A question with up to six answers, each right or wrong, each explained."""

    prompt = forms.CharField(
        label="Question", max_length=MAX_PROMPT, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(MAX_CHOICES):
            self.fields[f"choice_{i}"] = forms.CharField(
                label=f"Answer {i + 1}", max_length=MAX_CHOICE, required=False
            )
            self.fields[f"correct_{i}"] = forms.BooleanField(label="Right", required=False)
            self.fields[f"explanation_{i}"] = forms.CharField(
                label=f"Why answer {i + 1} is right or wrong",
                max_length=MAX_EXPLANATION,
                required=False,
            )

    @classmethod
    def initial_for(cls, question: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"prompt": question["prompt"]}
        for i, choice in enumerate(question["choices"]):
            initial[f"choice_{i}"] = choice["text"]
            initial[f"correct_{i}"] = choice["correct"]
            initial[f"explanation_{i}"] = choice["explanation"]
        return initial

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"choice_{i}"], self[f"correct_{i}"], self[f"explanation_{i}"])
            for i in range(MAX_CHOICES)
        ]

    def question(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "prompt": data["prompt"],
            "choices": [
                {
                    "text": data[f"choice_{i}"],
                    "correct": data[f"correct_{i}"],
                    "explanation": data[f"explanation_{i}"],
                }
                for i in range(MAX_CHOICES)
            ],
        }


class AssignForm(forms.Form):
    """Assign a course to one person, one department or one role."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    role = forms.ChoiceField(choices=[("", "—"), *Role.choices], required=False)
    due_on = forms.DateField(
        label="Due on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The end of that day in the organisation's time zone.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person_field = self.fields["person"]
        assert isinstance(person_field, forms.ModelChoiceField)
        person_field.queryset = (
            Person.objects.filter(
                is_active=True,
                memberships__organization=organization,
                memberships__is_active=True,
            )
            .distinct()
            .order_by("full_name")
        )
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ModelChoiceField)
        department_field.queryset = Department.objects.filter(organization=organization)
