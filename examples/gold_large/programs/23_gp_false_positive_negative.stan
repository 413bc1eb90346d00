// Approximate logistic Gaussian process for the true presence of gold; the test has its own false-positive and
// false-negative rates (both small, beta priors), since missing gold and seeing gold that is not there may differ.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int N = num_train + num_test;
  array[N] real locs = append_array(train_locs, test_locs);
  int M = 50;
  real L = 0.75 * rod_length;
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (locs[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> length_scale;
  real<lower=0> magnitude;
  real mu;
  real<lower=0, upper=1> false_pos;
  real<lower=0, upper=1> false_neg;
  vector[M] eta;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] sqrt_spd = magnitude * sqrt(sqrt(2 * pi()) * length_scale * exp(-0.5 * square(length_scale * omega)));
    f = mu + PHI * (sqrt_spd .* eta);
  }
}
model {
  length_scale ~ inv_gamma(5, 50);
  magnitude ~ normal(0, 2.5) T[0, ];
  mu ~ normal(0, 1.5);
  false_pos ~ beta(2, 30);
  false_neg ~ beta(2, 30);
  eta ~ std_normal();
  for (n in 1:num_train) {
    real p = inv_logit(f[n]);
    gold_train[n] ~ bernoulli(p * (1 - false_neg) + (1 - p) * false_pos);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
