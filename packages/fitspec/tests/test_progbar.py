"""The progress bar's format, which the guides print."""

import io

from fitspec.progbar import Progbar, format_time_per_step, format_value


def test_values_use_four_decimals_or_scientific_when_tiny():
    assert format_value(0.24661) == "0.2466"
    assert format_value(0.0) == "0.0000"
    assert format_value(0.00012345) == "1.2345e-04"


def test_time_per_step_picks_its_unit():
    assert format_time_per_step(2.4) == "2s/step"
    assert format_time_per_step(0.0021) == "2ms/step"
    assert format_time_per_step(0.000198) == "198us/step"


def test_a_log_file_gets_one_line_per_epoch_not_one_per_step():
    stream = io.StringIO()
    bar = Progbar(32, verbose=1, stream=stream)
    for step in range(1, 33):
        bar.update(step, {"loss": 0.5, "mae": 0.25}, finalize=step == 32)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("32/32 " + "━" * 20 + " ")
    assert lines[0].endswith("/step - loss: 0.5000 - mae: 0.2500")


def test_verbose_two_prints_a_summary_line():
    stream = io.StringIO()
    bar = Progbar(4, verbose=2, stream=stream)
    bar.update(4, {"loss": 1.0}, finalize=True)
    assert stream.getvalue().startswith("4/4 - ")
    assert stream.getvalue().rstrip().endswith("- loss: 1.0000")


def test_verbose_zero_prints_nothing():
    stream = io.StringIO()
    Progbar(4, verbose=0, stream=stream).update(4, {"loss": 1.0}, finalize=True)
    assert stream.getvalue() == ""
