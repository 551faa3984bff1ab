"""The pages' HTML: every value is escaped unless it is markup these functions built."""

from __future__ import annotations

from resolvers.pages.html import Html, escape, field_errors, join, render


def test_values_are_escaped_in_text_and_attributes() -> None:
    page = render('<a title="{title}">{text}</a>', title='" onclick="x', text="<b>&</b>")

    assert page == '<a title="&quot; onclick=&quot;x">&lt;b&gt;&amp;&lt;/b&gt;</a>'


def test_markup_built_here_passes_as_it_is() -> None:
    inner = render("<em>{word}</em>", word="<hi>")

    assert render("<p>{inner}</p>", inner=inner) == "<p><em>&lt;hi&gt;</em></p>"


def test_plain_strings_joined_are_escaped_too() -> None:
    joined = join([Html("<br>"), "<br>"])  # type: ignore[list-item]

    assert joined == "<br>\n&lt;br&gt;"
    assert isinstance(joined, Html)


def test_escape_is_idempotent_on_markup() -> None:
    once = escape("<x>")

    assert escape(once) == once == "&lt;x&gt;"


def test_field_errors_list_their_messages_escaped() -> None:
    assert field_errors([]) == ""
    assert field_errors(["<bad>"]) == '<ul class="errors"><li class="error">&lt;bad&gt;</li></ul>'
