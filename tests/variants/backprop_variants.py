"""Deliberately wrong copies of the weight-normalisation gradients (Assignment 2), user-file style.

Each is refuted at the broken step (at the inner products of concrete vectors) and flagged by the
catalog's finite-difference witness of the layer (which tests the variant's own statement).
"""
import sympy as sp

from derivations.backprop import (bias_gradient_build, bias_gradient_fd, input_gradient_build, input_gradient_fd,
                                  weight_gradient_corrected_build, weight_gradient_fd)
from proofs import Source, claim

SRC = Source("002_4657f5e75f199049.txt", "Assignment 2 (Backprop normalized linear), wrong variant")


@claim(id="variant.weightnorm.grad_b_norm_squared", title="(13) with ||w_i||^2 in the denominator",
       source=SRC, expected="refuted", witnesses=[(bias_gradient_fd, "finite-difference")])
def grad_b_norm_squared(d):
    bias_gradient_build(d, denominator_power=1)


@claim(id="variant.weightnorm.grad_x_x_for_w", title="(14) with x in place of w_i: dL/dx = sum_i g_i x/||w_i||",
       source=SRC, expected="refuted", witnesses=[(input_gradient_fd, "finite-difference")])
def grad_x_x_for_w(d):
    input_gradient_build(d, swap_w_for_x=True)


@claim(id="variant.weightnorm.grad_w_sign", title="corrected (15) with the sign of the second term flipped",
       source=SRC, expected="refuted", witnesses=[(weight_gradient_fd, "finite-difference")])
def grad_w_sign(d):
    weight_gradient_corrected_build(d, sign=+1)


@claim(id="variant.weightnorm.grad_w_cube_to_square", title="corrected (15) with ||w_i||^3 replaced by ||w_i||^2",
       source=SRC, expected="refuted", witnesses=[(weight_gradient_fd, "finite-difference")])
def grad_w_cube_to_square(d):
    weight_gradient_corrected_build(d, power=sp.Integer(1))
