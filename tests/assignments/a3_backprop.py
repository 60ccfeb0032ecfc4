"""a3_backprop's planted class: a partial student (four classic slips, one gate unanswered) and a noisy correct one."""

from tests.assignments import ALL, REFERENCE, Student

MAX_GATE_TIE_TO_X = '''
def max_gate(x, y, df):
    return df * (x >= y), df * (x < y)   # a tie goes to x: not the lecture's 1(x > y)
'''

RELU_NP_MAX = '''
def relu_forward(x):
    out = np.max(x, 0)   # a reduction, not the elementwise maximum
    return out, x
'''

ELU_SHORTHAND = '''
def elu_forward(x, alpha=1.0):
    out = np.maximum(alpha * (np.exp(np.minimum(x, 50)) - 1), x)   # the notes' shorthand: wrong for x > 0
    return out, (x, alpha)
'''

SOFTPLUS_NAIVE = '''
def softplus_forward(x):
    return np.log(1 + np.exp(x)), x   # overflows to inf for x > 709
'''

SOFTPLUS_NOISY = '''
import sys
import warnings

def softplus_forward(x):
    """Right, but noisy: evaluates np.exp(x) everywhere (overflow warning), warns and prints to stderr."""
    warnings.warn("just a note from my solution")
    print("debug: softplus", file=sys.stderr)
    out = np.where(x > 30, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(x)))
    return out, x
'''


# right: add gate, relu_backward, sigmoid CE, exam network, small graph (mult gate unanswered, max gate wrong — the
# check's stand-in gates keep the small graph's points); wrong relu/elu/softplus forwards
RIGHT = ("backprop.add_gate", "layers.relu_backward", "layers.sigmoid_cross_entropy", "backprop.three_layer_prelu_elu",
         "backprop.small_graph_backward")

STUDENTS = {
    "partial": Student({**{e.replace(".", "-") + "-solution": REFERENCE for e in RIGHT},
                        "backprop-max_gate-solution": MAX_GATE_TIE_TO_X, "layers-relu_forward-solution": RELU_NP_MAX,
                        "layers-elu_forward-solution": ELU_SHORTHAND,
                        "layers-softplus_forward-solution": SOFTPLUS_NAIVE}, right=frozenset(RIGHT)),
    # a correct softplus that overflows inside np.where, warns and writes to stderr
    "noisy": Student({"layers-softplus_forward-solution": SOFTPLUS_NOISY}, right=ALL, reference=True),
}

FEEDBACK = [
    ("partial", "layers-relu_forward-visible", "np.maximum"),
    ("partial", "layers-elu_forward-hidden", "NOT ELU"),
    ("partial", "layers-softplus_forward-visible", "np.logaddexp"),
    ("partial", "backprop-max_gate-visible", "goes to y"),
]
