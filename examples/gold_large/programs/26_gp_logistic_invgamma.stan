// Logistic Gaussian process over position (Hilbert-space approximation) without a separate error term: the GP's
// probability of gold being below one inside a stretch already allows for the occasional wrong test.
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
  int M = 60;
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
  real<lower=0> marginal_sd;
  real intercept;
  vector[M] eta;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] sqrt_spd = marginal_sd * sqrt(sqrt(2 * pi()) * length_scale * exp(-0.5 * square(length_scale * omega)));
    f = intercept + PHI * (sqrt_spd .* eta);
  }
}
model {
  length_scale ~ inv_gamma(3, 20);
  marginal_sd ~ normal(0, 2) T[0, ];
  intercept ~ normal(0, 1);
  eta ~ std_normal();
  gold_train ~ bernoulli_logit(f[1:num_train]);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
