/* pyfunc_sklearn._trees: the leaves of a forest's trees, summed tree by tree.
 *
 * scikit-learn walks each tree in compiled code but dispatches the trees one by one through
 * joblib and allocates an array per tree; a one-row request to a 100-tree forest spends
 * milliseconds there for microseconds of walking. This walks every tree of a forest for every
 * row in one call, with the GIL released, and adds each leaf's values into `out` in tree
 * order: the same comparisons (a float32 feature against a float64 threshold, `<=` goes left)
 * and the same sequence of additions as scikit-learn's forests, so the same bits.
 *
 * Written against the stable ABI of CPython 3.9, so one wheel serves every CPython from 3.9.
 * The arrays come as addresses: pyfunc_sklearn/native_forest.py checks their types, shapes
 * and contiguity and keeps them alive across the call.
 */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* forest_sum(X, n_rows, n_features, feature, threshold, left, right, values, n_values,
 *            roots, n_trees, out)
 * X: float32 (n_rows, n_features); feature, left, right: int64 per node (left < 0 at a leaf);
 * threshold: float64 per node; values: float64 (n_nodes, n_values); roots: int64 (n_trees);
 * out: float64 (n_rows, n_values), added to. */
static PyObject *forest_sum(PyObject *self, PyObject *args) {
    unsigned long long ax, afeature, athreshold, aleft, aright, avalues, aroots, aout;
    Py_ssize_t n_rows, n_features, n_values, n_trees;
    if (!PyArg_ParseTuple(args, "KnnKKKKKnKnK", &ax, &n_rows, &n_features, &afeature, &athreshold,
                          &aleft, &aright, &avalues, &n_values, &aroots, &n_trees, &aout))
        return NULL;
    const float *X = (const float *)(uintptr_t)ax;
    const int64_t *feature = (const int64_t *)(uintptr_t)afeature;
    const double *threshold = (const double *)(uintptr_t)athreshold;
    const int64_t *left = (const int64_t *)(uintptr_t)aleft;
    const int64_t *right = (const int64_t *)(uintptr_t)aright;
    const double *values = (const double *)(uintptr_t)avalues;
    const int64_t *roots = (const int64_t *)(uintptr_t)aroots;
    double *out = (double *)(uintptr_t)aout;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < n_trees; t++) { /* tree-major: one tree's nodes stay in cache */
        const int64_t root = roots[t];
        for (Py_ssize_t r = 0; r < n_rows; r++) {
            const float *row = X + r * n_features;
            int64_t node = root;
            while (left[node] >= 0)
                node = ((double)row[feature[node]] <= threshold[node]) ? left[node] : right[node];
            const double *leaf = values + node * n_values;
            double *sum = out + r * n_values;
            for (Py_ssize_t k = 0; k < n_values; k++)
                sum[k] += leaf[k];
        }
    }
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"forest_sum", forest_sum, METH_VARARGS, "Add every tree's leaf values for every row to out, in tree order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_trees", NULL, -1, methods};

PyMODINIT_FUNC PyInit__trees(void) { return PyModule_Create(&module); }
