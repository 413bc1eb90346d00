// Gold probability is set at anchor points every 5 cm and smoothed between them with a Gaussian kernel of unknown
// bandwidth (a nearest-neighbour-like average); tests are wrong with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int A = 21;
  row_vector[A] anchors = linspaced_row_vector(A, 0, rod_length);
  matrix[num_train, A] D_train = rep_matrix(to_vector(train_locs), A) - rep_matrix(anchors, num_train);
  matrix[num_test, A] D_test = rep_matrix(to_vector(test_locs), A) - rep_matrix(anchors, num_test);
}
parameters {
  vector<lower=0, upper=1>[A] theta;
  real<lower=0> bandwidth;
  real<lower=0, upper=1> error_rate;
}
transformed parameters {
  vector[num_train] p_train;
  vector[num_test] p_test;
  {
    matrix[num_train, A] K_train = exp(-0.5 * square(D_train / bandwidth));
    matrix[num_test, A] K_test = exp(-0.5 * square(D_test / bandwidth));
    p_train = (K_train * theta) ./ (K_train * rep_vector(1, A));
    p_test = (K_test * theta) ./ (K_test * rep_vector(1, A));
  }
}
model {
  theta ~ beta(0.5, 0.5);
  bandwidth ~ lognormal(log(4), 0.5);
  error_rate ~ beta(2, 30);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * p_train);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_rng(p_test);
}
