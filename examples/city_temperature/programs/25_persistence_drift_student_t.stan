// Persistence with partially pooled city drifts and Student-t day-to-day changes: tomorrow is today plus the
// city's typical change plus a heavy-tailed shock.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_drift;
  real<lower=0> tau_drift;
  vector<offset=mu_drift, multiplier=tau_drift>[num_cities] drift;
  real<lower=0> sigma;
  real<lower=1> nu;
}
model {
  mu_drift ~ normal(0, 5);
  tau_drift ~ normal(0, 5) T[0, ];
  drift ~ normal(mu_drift, tau_drift);
  sigma ~ normal(0, 5) T[0, ];
  nu ~ gamma(2, 0.1) T[1, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ student_t(nu, day1_temp_train[c, d] + drift[c], sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = student_t_rng(nu, day1_temp_test[c, d] + drift[c], sigma);
    }
  }
}
